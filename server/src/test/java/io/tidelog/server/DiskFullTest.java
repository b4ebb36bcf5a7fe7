package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import io.tidelog.testing.Tmpfs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tidelog standalone} on a real full disk: its data directory on a small tmpfs that a filler file
 * fills. Appends fail with {@code RESOURCE_EXHAUSTED} naming the disk, status says why, the server serves
 * again by itself once the filler is gone, and after a restart every acknowledged message is there once, in
 * order. Also a start on a disk too small for it, and one on a small disk that it fits. Needs root (it mounts
 * tmpfs); skipped otherwise.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DiskFullTest {
    private static final int PRODUCERS = 4;
    private static final List<String> VCHANNELS = List.of("pchannel-0_a", "pchannel-0_b", "pchannel-1_a", "pchannel-1_b");
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private Tmpfs disk;
    private StandaloneProcess server;
    private StreamingClient client;

    /** What became of every append: acknowledged (with its id), refused (nothing written), or unknown. */
    private final Map<String, Map<String, MessageId>> acked = new HashMap<>();
    private final Set<String> unknown = Collections.synchronizedSet(new HashSet<>());
    private final Set<String> refusedPayloads = Collections.synchronizedSet(new HashSet<>());
    private final List<StreamingException> refusals = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void appendsOnAFullDiskFailNamingItStatusSaysWhyAndTheServerServesAgainOnceThereIsRoom() throws Exception {
        disk = Tmpfs.mount(tmp.resolve("disk"), 64 << 20);
        Path data = disk.dir().resolve("data");
        server = new StandaloneProcess(data, tmp, List.of("--pchannels", "2",
                "-c", "node.reopen.backoff=200ms", "-c", "node.reopen.max.backoff=1s"));
        server.start();
        client = StreamingClient.builder().target(server.address()).build();
        VCHANNELS.forEach(v -> acked.put(v, Collections.synchronizedMap(new HashMap<>())));

        AtomicBoolean producing = new AtomicBoolean(true);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            Thread t = new Thread(() -> produce(producer, producing), "producer-" + p);
            t.start();
            producers.add(t);
        }
        Await.until("every producer has acknowledged messages", DEADLINE,
                () -> acked.values().stream().allMatch(m -> m.size() >= 20));
        disk.fill("filler");
        Await.until("appends are refused on the full disk", DEADLINE, () -> refusals.size() >= 20);
        String theDisk = "the disk " + DiskSpace.diskOf(disk.dir());
        for (StreamingException e : List.copyOf(refusals)) {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertThat(e.getMessage()).contains(theDisk).contains(data.toString()).containsPattern("\\d+ bytes usable");
        }
        Await.until("status says a pchannel is unavailable because the disk is full", DEADLINE, () ->
                client.statusBlocking().pchannels().stream().anyMatch(p -> !p.available()
                        && p.unavailableReason().startsWith("RESOURCE_EXHAUSTED: ") && p.unavailableReason().contains(theDisk)));
        String table = statusCommand();
        assertThat(table).containsPattern("pchannel-\\d is unavailable: RESOURCE_EXHAUSTED: .*" + Pattern.quote(theDisk));

        Files.delete(disk.dir().resolve("filler"));
        producing.set(false);
        for (Thread t : producers) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        for (String v : VCHANNELS) {
            Await.until(v + " takes appends again", DEADLINE, () -> append(v, v + "-probe-" + System.nanoTime()));
        }
        Await.until("status says every pchannel is available", DEADLINE, () -> client.statusBlocking().pchannels()
                .stream().allMatch(p -> p.available() && p.unavailableReason().isEmpty()));
        client.close();
        client = null;

        System.out.printf("disk-full run: %d acknowledged, %d refused, %d of unknown outcome%n",
                acked.values().stream().mapToInt(Map::size).sum(), refusedPayloads.size(), unknown.size());
        server.terminate();
        server.start();
        client = StreamingClient.builder().target(server.address()).build();
        for (String v : VCHANNELS) {
            checkHistory(v);
        }
    }

    /** Appends until told to stop; each payload unique (and with no zero byte). */
    private void produce(int producer, AtomicBoolean producing) {
        for (int seq = 0; producing.get(); seq++) {
            String v = VCHANNELS.get((producer + seq) % VCHANNELS.size());
            append(v, "p" + producer + "-" + seq + "-" + "x".repeat(1000));
        }
    }

    /** One append and its outcome, recorded; whether it was acknowledged. */
    private boolean append(String vchannel, String payload) {
        try {
            Appended a = client.appendRaw(vchannel, payload.getBytes(StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS);
            acked.get(vchannel).put(payload, a.id());
            return true;
        } catch (ExecutionException e) {
            StreamingException f = StreamingException.from(e.getCause());
            if (f.code() == ErrorCode.RESOURCE_EXHAUSTED) {
                refusals.add(f);
                refusedPayloads.add(payload);
            } else {
                unknown.add(payload);
            }
            return false;
        } catch (Exception e) {
            unknown.add(payload);
            return false;
        }
    }

    /** Every acknowledged message of {@code vchannel} once and in order, an unknown one at most once, a refused one never. */
    private void checkHistory(String vchannel) {
        List<String> payloads = new ArrayList<>();
        List<MessageId> ids = new ArrayList<>();
        for (ImmutableMessage m : VchannelHistory.of(client, vchannel)) {
            if (m.type() == MessageType.RAW) {
                payloads.add(m.payload().toString(StandardCharsets.UTF_8));
                ids.add(m.id());
            }
        }
        Map<String, MessageId> expected = acked.get(vchannel);
        assertThat(new HashSet<>(payloads)).as("%s: nothing twice", vchannel).hasSameSizeAs(payloads);
        assertThat(payloads).as("%s: every acknowledged message", vchannel).containsAll(expected.keySet());
        assertThat(payloads).as("%s: nothing refused", vchannel).doesNotContainAnyElementsOf(refusedPayloads);
        List<MessageId> ackedInLog = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            MessageId id = expected.get(payloads.get(i));
            if (id == null) {
                assertThat(unknown).as("%s: %s was neither acknowledged nor of unknown outcome", vchannel,
                        payloads.get(i)).contains(payloads.get(i));
            } else {
                assertThat(ids.get(i)).as("%s: at its acknowledged id", vchannel).isEqualTo(id);
                ackedInLog.add(id);
            }
        }
        assertThat(ackedInLog).as("%s: in order", vchannel).isSorted();
    }

    private String statusCommand() {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(new StringWriter()));
        assertThat(cl.execute("status", "--server", server.address())).isZero();
        return out.toString();
    }

    @Test
    void aStartOnADiskTooSmallForItExitsWithOneSayingHowMuchItNeeds() throws Exception {
        disk = Tmpfs.mount(tmp.resolve("disk"), 1 << 20);
        Path data = disk.dir().resolve("data");
        server = new StandaloneProcess(data, tmp, List.of("--pchannels", "16"));
        assertThat(server.startAndAwaitExit()).isEqualTo(1);
        long needed = StandaloneDisk.META_BYTES + 16 * StandaloneDisk.PCHANNEL_BYTES;
        assertThat(server.log()).contains("error: RESOURCE_EXHAUSTED: tidelog standalone needs " + needed
                        + " bytes usable on the disk " + DiskSpace.diskOf(disk.dir()) + " to start")
                .contains(data.resolve("meta").toString()).contains(data.resolve("wal").toString())
                .containsPattern("but \\d+ bytes are usable there");
        assertThat(data.resolve("meta")).as("nothing was written").doesNotExist();
    }

    @Test
    void aStartOnASmallDiskFitsWithSmallerSegmentsAndNoSpares() throws Exception {
        disk = Tmpfs.mount(tmp.resolve("disk"), 48 << 20);
        Path data = disk.dir().resolve("data");
        server = new StandaloneProcess(data, tmp, List.of("--pchannels", "16"));
        server.start();
        client = StreamingClient.builder().target(server.address()).build();
        for (int p = 0; p < 16; p++) {
            client.appendRawBlocking("pchannel-" + p + "_v", ("m" + p).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(client.statusBlocking().pchannels()).hasSize(16).allMatch(ClusterStatus.PchannelStatus::available);
        long segment = Files.size(segmentOf(data.resolve("wal").resolve("pchannel-0")));
        assertThat(segment).as("smaller than the standalone default, a whole number of MiB")
                .isLessThan(StandaloneServer.STANDALONE_SEGMENT_BYTES).isEqualTo(segment >> 20 << 20);
        assertThat(server.log()).contains("WAL segments of " + segment + " bytes for 16 pchannels");
        try (Stream<Path> spares = Files.list(data.resolve("wal").resolve(".spare"))) {
            assertThat(spares).as("no spare segment preallocated on a disk below the reserve").isEmpty();
        }
    }

    private static Path segmentOf(Path pchannelDir) throws Exception {
        try (Stream<Path> files = Files.list(pchannelDir)) {
            return files.filter(f -> f.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
    }
}
