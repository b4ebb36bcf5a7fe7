package io.tidelog.meta.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.testing.RecordingListener;
import io.tidelog.testing.Tmpfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store on a real full disk (a small tmpfs filled by another file): a write whose commit the
 * disk refuses fails with {@code RESOURCE_EXHAUSTED} naming the disk and leaves no trace (reads, watches,
 * revisions, the file after a restart); once there is room, writes succeed again in the same store.
 * Needs root (it mounts the tmpfs); skipped otherwise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetaStoreDiskFullTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private MvStoreMetaStore open(Path dir) {
        return new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString())));
    }

    private static byte[] value(int i) {
        byte[] v = new byte[1024];
        Arrays.fill(v, (byte) i);
        return v;
    }

    @Test
    void aCommitTheFullDiskRefusesFailsWithResourceExhaustedLeavesNoTraceAndWritesResumeOnceThereIsRoom() throws Exception {
        try (Tmpfs disk = Tmpfs.mount(tmp.resolve("disk"), 4 << 20)) {
            commitOnAFullDisk(disk);
        }
    }

    private void commitOnAFullDisk(Tmpfs disk) throws Exception {
        Path dir = disk.dir().resolve("meta");
        Map<String, Long> acked = new LinkedHashMap<>();
        RecordingListener watch = new RecordingListener();
        try (MetaStore store = open(dir)) {
            store.watch("k/", 1, watch);
            for (int i = 0; i < 20; i++) {
                acked.put("k/" + i, store.put("k/" + i, value(i), 0));
            }
            disk.fill("filler");
            StreamingException refused = null;
            int i = 20;
            for (; i < 20_000 && refused == null; i++) {
                try {
                    acked.put("k/" + i, store.put("k/" + i, value(i), 0));
                } catch (StreamingException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("a 4 MiB disk refuses some of 20,000 KiB-sized puts").isNotNull();
            assertThat(refused.code()).as(refused.getMessage()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertThat(refused.getMessage()).contains("the disk " + DiskSpace.diskOf(dir)).contains(dir.toString())
                    .containsPattern("\\d+ bytes usable");
            String lost = "k/" + (i - 1);
            long lastAcked = acked.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(store.get(lost)).as("nothing of the refused write is visible").isEmpty();
            assertThat(store.currentRevision()).isEqualTo(lastAcked);

            Files.delete(disk.dir().resolve("filler"));
            long next = store.put("k/after", value(1), 0);
            assertThat(next).as("the refused revision is not skipped").isEqualTo(lastAcked + 1);
            acked.put("k/after", next);
            assertThat(store.get(lost)).isEmpty();

            List<WatchEvent> events = watch.awaitEvents(acked.size(), WAIT);
            List<String> watched = new ArrayList<>();
            List<Long> revisions = new ArrayList<>();
            for (WatchEvent e : events) {
                watched.add(e.keyValue().key());
                revisions.add(e.keyValue().modRevision());
            }
            assertThat(watched).containsExactlyElementsOf(acked.keySet());
            assertThat(revisions).containsExactlyElementsOf(acked.values());
            assertThat(watch.error()).isNull();
        }
        try (MetaStore store = open(dir)) {
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                assertThat(store.get(e.getKey())).as(e.getKey()).hasValueSatisfying(kv ->
                        assertThat(kv.modRevision()).isEqualTo(e.getValue()));
            }
            assertThat(store.range("k/", 0).keyValues()).hasSize(acked.size());
        }
    }
}
