package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import io.tidelog.wal.WalScanner;
import io.tidelog.testing.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: a child JVM appends from several threads and is killed with SIGKILL while appends are
 * in flight, three times in a row (each time at a new term, so the log holds torn tails, seals and
 * several terms). Afterwards every acknowledged record is read back with the id it was acknowledged
 * with, and every record in the log is whole.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KillNineTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedRecordSurvivesKillNineAndNoRecordIsTorn() throws Exception {
        Random random = seeds.random();
        Map<String, MessageId> acked = new HashMap<>();
        for (int term = 1; term <= 3; term++) {
            int killAfter = 500 + random.nextInt(3000);
            acked.putAll(runAndKill(term, killAfter));
        }
        assertThat(acked).hasSizeGreaterThan(1500);

        Map<String, String> props = Map.of(LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "256KiB", LocalWalConfig.BATCH_MAX_BYTES, "32KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "64KiB");
        try (WalBackend backend = WalBackends.create("local", props);
             Wal wal = backend.open(OpenOptions.readWrite("p-kill", 4))) {
            Set<String> seen = new HashSet<>();
            MessageId previous = null;
            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                LogRecord r;
                while ((r = s.poll(Duration.ofMillis(500))) != null) {
                    String key = AppendingChild.keyOf(r.bytes());
                    assertThat(key).as("record %s is whole and well-formed", r.id()).isNotNull();
                    assertThat(seen.add(key)).as("%s delivered once", key).isTrue();
                    if (acked.containsKey(key)) {
                        assertThat(r.id()).as("id of %s", key).isEqualTo(acked.get(key));
                    }
                    if (previous != null) {
                        assertThat(r.id()).isGreaterThan(previous);
                    }
                    previous = r.id();
                }
            }
            System.out.printf("kill -9 x3: %d acknowledged, %d in the log (%d were in flight at a kill)%n",
                    acked.size(), seen.size(), seen.size() - acked.size());
            Set<String> lost = new HashSet<>(acked.keySet());
            lost.removeAll(seen);
            assertThat(lost).as("acknowledged but lost").isEmpty();
            MessageId next = wal.append(ByteBuffer.wrap(AppendingChild.record("after"))).get(30, TimeUnit.SECONDS);
            assertThat(next).isGreaterThan(previous);
        }
    }

    /** Starts the child at {@code term}, kills it with SIGKILL after {@code killAfter} acks; returns the acks. */
    private Map<String, MessageId> runAndKill(int term, int killAfter) throws Exception {
        Path stderr = Files.createTempFile(dir.getParent(), "child", ".err");
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                AppendingChild.class.getName(), dir.toString(), "p-kill", Integer.toString(term));
        pb.redirectError(stderr.toFile());
        Process child = pb.start();
        Map<String, MessageId> acks = new HashMap<>();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("ACK ") && acks.size() + 1 >= killAfter && child.isAlive()) {
                    // SIGKILL on Linux, while appends are in flight; the handle (unlike Process) keeps our end
                    // of the pipe open, so the acks the child printed before dying are still read.
                    child.toHandle().destroyForcibly();
                }
                if (line.startsWith("ACK ")) {
                    String[] p = line.split(" ");
                    acks.put(p[1], MessageId.parse(p[2]));
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(lines).as("child output; stderr: %s", readQuietly(stderr)).contains("READY");
        assertThat(acks).as("acks before the kill; stderr: %s", readQuietly(stderr)).hasSizeGreaterThanOrEqualTo(killAfter);
        assertThat(child.exitValue()).as("killed by signal 9").isEqualTo(137);
        return acks;
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
