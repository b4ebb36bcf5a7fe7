package io.tidelog.meta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.testing.ManualClock;
import io.tidelog.meta.testing.RecordingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the embedded store does beyond the shared contract: its file, its bounded history, its lock. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MvStoreMetaStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private MvStoreMetaStore open(int historyRevisions) {
        return new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(Map.of(
                EmbeddedMetaStoreConfig.DIR, dir.toString(),
                EmbeddedMetaStoreConfig.HISTORY_REVISIONS, Integer.toString(historyRevisions),
                EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL, "5ms")), clock);
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() {
        try (MetaStore first = open(100)) {
            first.put("a", new byte[] {1});
            assertThatThrownBy(() -> open(100)).isInstanceOfSatisfying(StreamingException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            assertThat(first.get("a")).isPresent();
        }
        try (MetaStore again = open(100)) {
            assertThat(again.get("a")).isPresent();
        }
    }

    @Test
    void historyKeepsExactlyTheConfiguredNumberOfRevisionsAcrossRestarts() {
        long last;
        try (MetaStore s = open(10)) {
            for (int i = 0; i < 30; i++) {
                s.put("h/" + (i % 3), new byte[] {(byte) i});
            }
            last = s.currentRevision();
            assertKeptFrom(s, last - 9);
        }
        try (MetaStore s = open(10)) {
            assertKeptFrom(s, last - 9);
        }
        try (MetaStore s = open(5)) {
            s.put("h/0", new byte[0]);
            assertKeptFrom(s, last + 1 - 4);
        }
    }

    private static void assertKeptFrom(MetaStore s, long oldestKept) {
        assertThatThrownBy(() -> s.watch("h/", oldestKept - 1, new RecordingListener()))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
        RecordingListener listener = new RecordingListener();
        try (var w = s.watch("h/", oldestKept, listener)) {
            long expected = s.currentRevision() - oldestKept + 1;
            assertThat(listener.awaitEvents((int) expected, WAIT).get(0).revision()).isEqualTo(oldestKept);
            assertThat(w.prefix()).isEqualTo("h/");
        }
    }

    @Test
    void manyOverwritesKeepTheFileBounded() throws Exception {
        byte[] value = new byte[1024];
        try (MetaStore s = open(100)) {
            for (int i = 0; i < 6000; i++) {
                value[0] = (byte) i;
                s.put("ow/" + (i % 20), value);
            }
            assertThat(s.scan("ow/")).hasSize(20);
        }
        long size = Files.size(dir.resolve(EmbeddedMetaStoreConfig.FILE_NAME));
        System.out.printf("6000 overwrites of 20 keys with 1 KiB values: file of %d KiB%n", size / 1024);
        assertThat(size).as("live data is ~120 KiB; MVStore reuses the space of dead chunks")
                .isLessThan(32L << 20);
    }

    @Test
    void aListenerMayCloseItsOwnWatchFromTheDispatcherThread() {
        try (MetaStore s = open(100)) {
            RecordingListener seen = new RecordingListener();
            var holder = new io.tidelog.meta.Watch[1];
            holder[0] = s.watch("self/", events -> {
                seen.onEvents(events);
                holder[0].close();
            });
            s.put("self/1", new byte[0]);
            seen.awaitEvents(1, WAIT);
            s.put("self/2", new byte[0]);
            RecordingListener later = new RecordingListener();
            s.watch("self/", s.currentRevision(), later);
            later.awaitEvents(1, WAIT);
            assertThat(seen.events()).hasSize(1);
            assertThat(holder[0].isClosed()).isTrue();
        }
    }

    @Test
    void aListenerMayCloseTheWholeStore() {
        MetaStore s = open(100);
        RecordingListener other = new RecordingListener();
        s.watch("other/", other);
        s.watch("closer/", events -> s.close());
        s.put("closer/1", new byte[0]);
        other.awaitError(WAIT);
        assertThat(other.error().code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThatThrownBy(() -> s.get("closer/1")).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
        try (MetaStore reopened = open(100)) {
            assertThat(reopened.get("closer/1")).isPresent();
        }
    }
}
