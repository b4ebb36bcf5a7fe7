package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.StreamingClient;
import io.tidelog.client.WriteResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under continuous ingest with small segments and retention 0, the flusher keeps moving the checkpoint and the WAL
 * is truncated below it: disk use stays bounded while the data written grows many times larger. The run lasts
 * {@code tidelog.retention.seconds} (90 by default; the closing figures of the issue come from longer runs).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class WalRetentionTest {
    static final long SEGMENT_BYTES = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void walDiskUseStaysBoundedUnderContinuousIngest() throws Exception {
        long seconds = Long.getLong("tidelog.retention.seconds", 90);
        Map<String, String> config = new HashMap<>(Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", Long.toString(SEGMENT_BYTES), "wal.local.spare.segments", "1",
                "shard.segment.max.bytes", "256KiB", "node.checkpoint.interval", "200ms"));
        config.put("message.max.bytes", "256KiB");
        config.put("wal.local.batch.max.bytes", "256KiB");
        // Nothing kept beyond what recovery and subscriptions need: the checkpoint alone bounds the WAL.
        config.put("wal.retention.time", "0");
        try (StandaloneServer server = TestStandalone.start(dir, config);
             StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            client.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long id = 0;
            long rows = 0;
            long maxWal = 0;
            List<Long> samples = new ArrayList<>();
            long nextSample = System.nanoTime();
            while (System.nanoTime() < deadline) {
                List<Map<String, Object>> batch = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    batch.add(HistoricalDataKillNineTest.row(id++));
                }
                WriteResult r = client.insert("events", batch).get(30, TimeUnit.SECONDS);
                rows += r.rows();
                if (System.nanoTime() >= nextSample) {
                    long wal = bytesUnder(dir.resolve("wal"));
                    samples.add(wal);
                    maxWal = Math.max(maxWal, wal);
                    nextSample += TimeUnit.SECONDS.toNanos(1);
                }
            }
            client.collections().withTimeout(Duration.ofMinutes(2)).flushBlocking("events");
            long objects = bytesUnder(dir.resolve("objects"));
            // Every row holds at least 40 bytes of values (an INT64, a DOUBLE, a 4-float vector, its title).
            long written = rows * 40;
            System.out.printf("retention: %d s, %d rows, at least %d WAL bytes appended, WAL on disk max %d (last %d), "
                    + "objects %d bytes%n", seconds, rows, written, maxWal, samples.get(samples.size() - 1), objects);
            // Two pchannels, each holding a few segments at most: the active one, a spare, and those the
            // checkpoint still needs (a growing segment of 256 KiB spans at most one or two of them).
            long bound = 2 * 6 * SEGMENT_BYTES;
            assertThat(written).as("WAL bytes appended (lower bound)").isGreaterThan(5 * bound);
            assertThat(maxWal).as("WAL bytes on disk, at most, sampled every second").isLessThanOrEqualTo(bound);
            assertThat(objects).as("bytes in object storage").isPositive();
        }
    }

    /** The bytes of the files under {@code root}; a file truncated away while it is walked counts nothing. */
    static long bytesUnder(Path root) throws Exception {
        if (!Files.exists(root)) {
            return 0;
        }
        long[] total = {0};
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
                if (a.isRegularFile()) {
                    total[0] += a.size();
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, java.io.IOException e) throws java.io.IOException {
                if (e instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE; // truncated away while walking
                }
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, java.io.IOException e) throws java.io.IOException {
                if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }
}
