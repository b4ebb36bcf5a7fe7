package io.tidelog.wal.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.testing.Await;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fencing protocol at the moments that matter, made to happen on purpose: an old writer's block held on its
 * way to the store, or landed with its reply held back, while a newer term opens from another backend over the
 * same directory (as another process would).
 */
class ObjectStoreWalFencingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private ObjectStore plain;
    private GatedObjectStore gated;
    private ObjectStoreWalBackend oldBackend;
    private ObjectStoreWalBackend newBackend;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void open() {
        Map<String, String> p = ObjectStoreWalTesting.smallBlocks("file:" + dir);
        p.put(ObjectStoreWalConfig.PUT_RETRIES, "1");
        ObjectStoreWalConfig config = ObjectStoreWalConfig.from(p);
        plain = ObjectStores.open("file:" + dir, Map.of());
        gated = new GatedObjectStore(ObjectStores.open("file:" + dir, Map.of()));
        oldBackend = new ObjectStoreWalBackend(config, gated);
        newBackend = new ObjectStoreWalBackend(config, plain);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        oldBackend.close();
        newBackend.close();
        gated.close();
        plain.close();
    }

    @Test
    void aPositionClaimedUnderAnInFlightBlockFencesTheOldWriterThereAndAfterButNotBelow() throws Exception {
        Wal old = keep(oldBackend.open(OpenOptions.readWrite("p", 1)));
        MessageId a = await(old.append(bytes("a")));
        String second = WalLayout.block("p", a.major(), 2);
        String third = WalLayout.block("p", a.major(), 3);
        gated.holdBefore(second);
        CompletableFuture<MessageId> b = old.append(bytes("b"));
        Await.until("block 2 is on its way", WAIT, () -> gated.arrived.contains(second));
        CompletableFuture<MessageId> c = old.append(bytes("c"));
        Await.until("block 3 landed", WAIT, () -> plain.get(third).isPresent());

        Wal newer = keep(newBackend.open(OpenOptions.readWrite("p", 2)));
        gated.release(second);

        assertThat(failureCode(b)).isEqualTo(ErrorCode.CHANNEL_FENCED);
        assertThat(failureCode(c)).as("landed above the fence: never acknowledged").isEqualTo(ErrorCode.CHANNEL_FENCED);
        assertThat(failureCode(old.append(bytes("e")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        MessageId d = await(newer.append(bytes("d")));
        assertThat(d).isGreaterThan(a);
        assertThat(texts(newer)).containsExactly("a", "d");
    }

    @Test
    void aLateAcknowledgementOfTheOldTermNamesARecordTheNewTermKeptBeforeItsOwn() throws Exception {
        Wal old = keep(oldBackend.open(OpenOptions.readWrite("p", 1)));
        MessageId a = await(old.append(bytes("a")));
        String second = WalLayout.block("p", a.major(), 2);
        gated.holdAfter(second);
        CompletableFuture<MessageId> b = old.append(bytes("b"));
        Await.until("block 2 landed, its reply held", WAIT, () -> gated.arrived.contains(second));

        Wal newer = keep(newBackend.open(OpenOptions.readWrite("p", 2)));
        assertThat(b).as("not acknowledged before the open returned").isNotDone();
        MessageId d = await(newer.append(bytes("d")));
        gated.release(second);

        MessageId bId = await(b);
        assertThat(bId).isGreaterThan(a).isLessThan(d);
        assertThat(texts(newer)).containsExactly("a", "b", "d");
        assertThat(failureCode(old.append(bytes("e")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
    }

    @Test
    void aStaleOpenerFailsWithoutDisturbingTheNewerWriter() throws Exception {
        Wal newer = keep(newBackend.open(OpenOptions.readWrite("p", 5)));
        await(newer.append(bytes("five-a")));
        assertThatThrownBy(() -> oldBackend.open(OpenOptions.readWrite("p", 4)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        await(newer.append(bytes("five-b")));
        assertThat(texts(newer)).containsExactly("five-a", "five-b");
    }

    @Test
    void aFailedPutMakesTheOutcomeUnknownAndReopeningAtTheSameTermSettlesIt() throws Exception {
        Wal old = oldBackend.open(OpenOptions.readWrite("p", 1));
        MessageId a = await(old.append(bytes("a")));
        String second = WalLayout.block("p", a.major(), 2);
        gated.fail(second);
        CompletableFuture<MessageId> b = old.append(bytes("b"));
        assertThat(failureCode(b)).isEqualTo(ErrorCode.INNER);
        assertThat(StreamingException.from(cause(b)).isOutcomeUnknown()).isTrue();
        assertThat(failureCode(old.append(bytes("c")))).as("the log refuses appends after an unknown outcome")
                .isEqualTo(ErrorCode.INNER);
        old.close();

        Wal again = keep(newBackend.open(OpenOptions.readWrite("p", 1)));
        await(again.append(bytes("d")));
        assertThat(texts(again)).containsExactly("a", "d");
    }

    @Test
    void fullSegmentsAreSealedWithAFooterAndReadAcrossInOrder() throws Exception {
        Wal wal = keep(newBackend.open(OpenOptions.readWrite("p", 1)));
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String t = i + "-" + "x".repeat(4000);
            expected.add(t);
            fs.add(wal.append(bytes(t)));
        }
        MessageId last = null;
        for (CompletableFuture<MessageId> f : fs) {
            last = await(f);
        }
        assertThat(last.major()).as("1.2 MB in 256 KiB segments").isGreaterThanOrEqualTo(3);
        List<String> keys = plain.list(WalLayout.pchannelPrefix("p")).stream().map(ObjectInfo::key).toList();
        for (long s = 0; s < last.major(); s++) {
            assertThat(keys).as("segment %d is sealed", s).contains(WalLayout.footer("p", s));
        }
        assertThat(keys).doesNotContain(WalLayout.footer("p", last.major()));
        try (Wal reader = newBackend.open(OpenOptions.readOnly("p"))) {
            assertThat(texts(reader)).containsExactlyElementsOf(expected);
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        toClose.add(c);
        return c;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> texts(Wal wal) throws InterruptedException {
        List<String> out = new ArrayList<>();
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(500))) != null) {
                out.add(new String(r.bytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static MessageId await(CompletableFuture<MessageId> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Throwable cause(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.get());
    }

    private static ErrorCode failureCode(CompletableFuture<?> f) throws Exception {
        return StreamingException.from(cause(f)).code();
    }
}
