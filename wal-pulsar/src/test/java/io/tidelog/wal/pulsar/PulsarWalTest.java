package io.tidelog.wal.pulsar;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the conformance suite does not reach: batching into entries, a damaged record inside a batch, an entry the
 * client dropped, records the client stored twice, and the broker's own message size limit.
 */
class PulsarWalTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();

    private static WalBackend backend(String prefix, String... keyValues) {
        Map<String, String> p = new HashMap<>(PulsarTestBroker.walProperties(prefix + ProcessHandle.current().pid() + "-"));
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return WalBackends.create(PulsarWalBackend.NAME, p);
    }

    @Test
    void appendsMadeTogetherShareEntriesAndAreReadBackWithTheirIds() throws Exception {
        try (WalBackend backend = backend("batch-", PulsarWalConfig.BATCH_DELAY, "20ms");
             Wal wal = backend.open(OpenOptions.readWrite("p-batch", 1))) {
            List<CompletableFuture<MessageId>> fs = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                fs.add(wal.append(ByteBuffer.wrap(("r" + i).getBytes())));
            }
            List<MessageId> ids = new ArrayList<>();
            for (CompletableFuture<MessageId> f : fs) {
                ids.add(f.get(30, TimeUnit.SECONDS));
            }
            long entries = ids.stream().map(id -> id.major() + ":" + PulsarIds.entry(id)).distinct().count();
            assertThat(entries).as("500 appends made at once travel in a few entries").isLessThan(50);
            try (WalScanner s = wal.read(DeliverPolicy.startFrom(ids.get(250)))) {
                for (int i = 250; i < 500; i++) {
                    LogRecord r = s.poll(Duration.ofSeconds(30));
                    assertThat(r.id()).isEqualTo(ids.get(i));
                    assertThat(new String(r.bytes())).isEqualTo("r" + i);
                }
            }
        }
    }

    @Test
    void aRecordTheClientSentAgainOnANewConnectionIsDeliveredOnceWithItsFirstCopysId() throws Exception {
        Map<String, String> properties = PulsarTestBroker.walProperties("resent-" + ProcessHandle.current().pid() + "-");
        List<MessageId> ids = new ArrayList<>();
        try (WalBackend backend = WalBackends.create(PulsarWalBackend.NAME, properties);
             Wal wal = backend.open(OpenOptions.readWrite("p-resent", 1))) {
            for (int i = 1; i <= 2; i++) {
                ids.add(wal.append(ByteBuffer.wrap(("r" + i).getBytes())).get(30, TimeUnit.SECONDS));
            }
        }
        // What a resend on a new connection leaves in the log: the writer's records again (same term, same sequence
        // numbers), then its next record.
        PulsarWalConfig config = PulsarWalConfig.from(properties);
        try (PulsarClient client = PulsarClient.builder().serviceUrl(config.serviceUrl()).build();
             Producer<byte[]> copier = client.newProducer(Schema.BYTES).topic(config.topic("p-resent"))
                     .enableBatching(false).create()) {
            for (int i = 1; i <= 3; i++) {
                org.apache.pulsar.client.api.MessageId id = RecordHeader.data(copier.newMessage(), 1,
                        ByteBuffer.wrap(("r" + i).getBytes())).sequenceId(i).send();
                if (i == 3) {
                    ids.add(PulsarIds.of(id));
                }
            }
        }
        try (WalBackend backend = WalBackends.create(PulsarWalBackend.NAME, properties);
             Wal wal = backend.open(OpenOptions.readOnly("p-resent"))) {
            assertThat(readAll(wal, DeliverPolicy.all())).containsExactly("r1@" + ids.get(0), "r2@" + ids.get(1),
                    "r3@" + ids.get(2));
            assertThat(readAll(wal, DeliverPolicy.startAfter(ids.get(0)))).containsExactly("r2@" + ids.get(1),
                    "r3@" + ids.get(2));
            assertThat(readAll(wal, DeliverPolicy.startAfter(ids.get(1)))).containsExactly("r3@" + ids.get(2));
        }
    }

    private static List<String> readAll(Wal wal, DeliverPolicy policy) throws InterruptedException {
        List<String> got = new ArrayList<>();
        try (WalScanner s = wal.read(policy)) {
            LogRecord r;
            while ((r = s.poll(Duration.ofSeconds(got.isEmpty() ? 30 : 2))) != null) {
                got.add(new String(r.bytes()) + "@" + r.id());
            }
        }
        return got;
    }

    @Test
    void aRecordDeliveredDamagedInsideABatchFailsTheReadAtItsOwnIdAfterTheRecordsBeforeIt() throws Exception {
        try (WalBackend backend = backendOfTenRecordEntries("damage-");
             Wal wal = backend.open(OpenOptions.readWrite("p-damage", 1))) {
            List<MessageId> ids = appendThirtyInEntriesOfTen(wal);
            MessageId bad = ids.get(15);
            PulsarTestBroker.shared().deliverDamaged(adminPath("damage-", "p-damage"), PulsarIds.ledger(bad),
                    PulsarIds.entry(bad), PulsarIds.batchIndex(bad));

            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                for (int i = 0; i < 15; i++) {
                    LogRecord r = s.poll(Duration.ofSeconds(30));
                    assertThat(r.id()).isEqualTo(ids.get(i));
                    assertThat(new String(r.bytes())).isEqualTo("d" + i);
                }
                StreamingException e = failure(s);
                assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED);
                assertThat(e.getMessage()).contains("p-damage").contains(bad.toString()).contains("CRC32C");
            }
            // a read that starts after it in the same entry drops it unread, as every record before its start
            try (WalScanner s = wal.read(DeliverPolicy.startAfter(bad))) {
                for (int i = 16; i < 30; i++) {
                    assertThat(s.poll(Duration.ofSeconds(30)).id()).isEqualTo(ids.get(i));
                }
            }
        }
    }

    @Test
    void anEntryPulsarsClientDropsAsDamagedFailsTheReadAfterTheLastRecordBeforeIt() throws Exception {
        try (WalBackend backend = backendOfTenRecordEntries("dropped-");
             Wal wal = backend.open(OpenOptions.readWrite("p-dropped", 1))) {
            List<MessageId> ids = appendThirtyInEntriesOfTen(wal);
            MessageId bad = ids.get(15);
            // the entry of records 10 to 19 fails Pulsar's checksum: the client drops it without a word
            PulsarTestBroker.shared().deliverDamagedUnderItsStaleChecksum(adminPath("dropped-", "p-dropped"),
                    PulsarIds.ledger(bad), PulsarIds.entry(bad), PulsarIds.batchIndex(bad));

            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                for (int i = 0; i < 10; i++) {
                    assertThat(s.poll(Duration.ofSeconds(30)).id()).isEqualTo(ids.get(i));
                }
                StreamingException e = failure(s);
                assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED);
                assertThat(e.getMessage()).contains("p-dropped").contains(ids.get(9).toString());
            }
        }
    }

    /** A backend whose appends made together travel in entries of 10 records (a batch is sent when full). */
    private static WalBackend backendOfTenRecordEntries(String prefix) {
        return backend(prefix, PulsarWalConfig.BATCH_DELAY, "500ms", PulsarWalConfig.BATCH_MAX_RECORDS, "10");
    }

    /** Appends d0 to d29 at once (three entries of 10 on a {@link #backendOfTenRecordEntries}); their ids. */
    private static List<MessageId> appendThirtyInEntriesOfTen(Wal wal) throws Exception {
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            fs.add(wal.append(ByteBuffer.wrap(("d" + i).getBytes())));
        }
        List<MessageId> ids = new ArrayList<>();
        for (CompletableFuture<MessageId> f : fs) {
            ids.add(f.get(30, TimeUnit.SECONDS));
        }
        for (int e = 0; e < 3; e++) {
            assertThat(ids.subList(10 * e, 10 * e + 10)).as("records %d to %d share an entry", 10 * e, 10 * e + 9)
                    .extracting(id -> id.major() + ":" + PulsarIds.entry(id)).containsOnly(ids.get(10 * e).major()
                            + ":" + PulsarIds.entry(ids.get(10 * e)));
        }
        return ids;
    }

    private static String adminPath(String prefix, String pchannel) {
        return PulsarWalConfig.from(PulsarTestBroker.walProperties(prefix + ProcessHandle.current().pid() + "-"))
                .adminPath(pchannel);
    }

    /** The failure of the scanner's next poll; an assertion error if it delivers a record or stays quiet. */
    private static StreamingException failure(WalScanner s) throws InterruptedException {
        try {
            LogRecord r = s.poll(Duration.ofSeconds(30));
            throw new AssertionError("expected the read to fail, but it delivered " + (r == null ? "nothing" : r.id()));
        } catch (StreamingException e) {
            return e;
        }
    }

    @Test
    void aRecordTheBrokerWouldRefuseFailsWithInvalidArgumentAndTheLogGoesOn() throws Exception {
        try (WalBackend backend = backend("big-", PulsarWalConfig.MAX_RECORD_BYTES, "8MiB");
             Wal wal = backend.open(OpenOptions.readWrite("p-big", 1))) {
            CompletableFuture<MessageId> big = wal.append(ByteBuffer.allocate(6 << 20));
            try {
                big.get(30, TimeUnit.SECONDS);
                throw new AssertionError("a record over the broker's maxMessageSize (5 MiB) was acknowledged");
            } catch (ExecutionException e) {
                assertThat(StreamingException.from(e.getCause()).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            }
            MessageId after = wal.append(ByteBuffer.wrap("after".getBytes())).get(30, TimeUnit.SECONDS);
            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                LogRecord r = s.poll(Duration.ofSeconds(30));
                assertThat(r.id()).isEqualTo(after);
                assertThat(s.poll(Duration.ofMillis(300))).isNull();
            }
        }
    }

    @Test
    void truncatingWhileAppendsStreamInKeepsTheTruncationPointReadableAndNeverDropsTheProducersConnection()
            throws Exception {
        try (WalBackend backend = backend("trunc-");
             Wal wal = backend.open(OpenOptions.readWrite("p-trunc-load", 1))) {
            List<CompletableFuture<MessageId>> fs = new ArrayList<>();
            MessageId truncatedAt = null;
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 200; i++) {
                    fs.add(wal.append(ByteBuffer.wrap(("r" + round + "-" + i).getBytes())));
                }
                // appends of this round are still in flight when the log is truncated at the last acknowledged one
                MessageId acked = fs.get(fs.size() - 201 < 0 ? 0 : fs.size() - 201).get(30, TimeUnit.SECONDS);
                wal.truncate(acked);
                truncatedAt = acked;
            }
            for (CompletableFuture<MessageId> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            try (WalScanner s = wal.read(DeliverPolicy.startFrom(truncatedAt))) {
                assertThat(s.poll(Duration.ofSeconds(30)).id()).isEqualTo(truncatedAt);
            }
            // Truncation once went through a consumer's seek: the broker disconnected that consumer, and closing it
            // while it reconnected made the client drop the connection it shared with the producer (which then
            // resent its window), at most truncations.
            assertThat(((PulsarWal) wal).producerDisconnectedAtMillis()).as("when the producer's connection dropped")
                    .isZero();
        }
    }
}
