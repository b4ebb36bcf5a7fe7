package io.tidelog.meta.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.testing.Await;
import io.tidelog.meta.testing.ManualClock;
import io.tidelog.testing.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * A real crash: a child JVM ({@link WritingChild}) increments a counter by compare-and-put from two
 * threads and writes fresh keys from two more, and is killed with SIGKILL mid-stream, three times in a
 * row on the same store. Afterwards every acknowledged write is there with its revision; after each
 * kill the counter holds the last acknowledged increment or at most one more per incrementing thread
 * (committed, but killed before it printed); and the dead processes' leased keys are still there until
 * one time to live after the reopen.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KillNineTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    /** What one child acknowledged before it died. */
    private static final class Acks {
        final Map<String, Long> puts = new HashMap<>();
        final List<Long> casValues = new ArrayList<>();
        long start = -1;
        long lease;
        int lines;
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillNineAndTheCounterLosesNoIncrement() throws Exception {
        Random random = seeds.random();
        Map<String, Long> puts = new HashMap<>();
        List<Long> casValues = new ArrayList<>();
        Set<Long> leases = new HashSet<>();
        int rounds = 3;
        long lastAcked = 0;
        for (int round = 1; round <= rounds; round++) {
            Acks acks = runAndKill(round, 300 + random.nextInt(1500));
            assertCounterAfterKill(acks.start, lastAcked);
            puts.putAll(acks.puts);
            casValues.addAll(acks.casValues);
            leases.add(acks.lease);
            lastAcked = Math.max(acks.start, acks.casValues.stream().mapToLong(Long::longValue).max().orElse(0));
        }
        assertThat(puts).hasSizeGreaterThan(100);
        assertThat(casValues).hasSizeGreaterThan(100);
        assertThat(new HashSet<>(casValues)).as("no two acknowledged increments wrote the same value").hasSize(casValues.size());

        ManualClock clock = new ManualClock();
        try (MetaStore store = new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(Map.of(
                EmbeddedMetaStoreConfig.DIR, dir.toString(), EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL, "5ms")), clock)) {
            long current = store.currentRevision();
            for (Map.Entry<String, Long> e : puts.entrySet()) {
                KeyValue kv = store.get(e.getKey()).orElse(null);
                assertThat(kv).as("acknowledged put of %s", e.getKey()).isNotNull();
                assertThat(kv.modRevision()).as("revision of %s", e.getKey()).isEqualTo(e.getValue());
                assertThat(kv.valueUtf8()).isEqualTo(e.getKey());
                assertThat(kv.version()).isEqualTo(1);
            }
            List<KeyValue> all = store.scan("kill/");
            assertThat(all).allMatch(kv -> kv.modRevision() <= current && kv.createRevision() <= kv.modRevision());

            KeyValue counter = store.get(WritingChild.COUNTER).orElseThrow();
            long value = Long.parseLong(counter.valueUtf8());
            assertCounterAfterKill(value, lastAcked);
            assertThat(counter.version()).as("one write per increment").isEqualTo(value);
            System.out.printf("kill -9 x%d: %d puts and %d increments acknowledged; counter %d (last acknowledged %d),"
                    + " revision %d%n", rounds, puts.size(), casValues.size(), value, lastAcked, current);

            assertThat(store.scan("kill/session/")).as("the dead processes' leased keys").hasSize(rounds)
                    .allMatch(kv -> leases.contains(kv.lease()));
            long next = store.put("after", new byte[0]);
            assertThat(next).isEqualTo(current + 1);
            clock.advance(Duration.ofHours(1).plusSeconds(1));
            Await.until("the dead processes' leases expire one ttl after the reopen", Duration.ofSeconds(30),
                    () -> store.scan("kill/session/").isEmpty());
        }
    }

    /** The counter found after a kill holds the last acknowledged value, or up to one unprinted increment per thread more. */
    private static void assertCounterAfterKill(long found, long lastAcknowledged) {
        assertThat(found).as("counter after a kill; last acknowledged %d", lastAcknowledged)
                .isBetween(lastAcknowledged, lastAcknowledged + WritingChild.CAS_THREADS);
    }

    /** Starts the child for {@code round}, kills it with SIGKILL after {@code killAfter} acknowledged lines. */
    private Acks runAndKill(int round, int killAfter) throws Exception {
        Path stderr = Files.createTempFile(dir.getParent(), "meta-child", ".err");
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                WritingChild.class.getName(), dir.toString(), Integer.toString(round));
        pb.redirectError(stderr.toFile());
        Process child = pb.start();
        Acks acks = new Acks();
        boolean ready = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.endsWith(" $")) {
                    continue;
                }
                String[] p = line.substring(0, line.length() - 2).split(" ");
                switch (p[0]) {
                    case "READY":
                        ready = true;
                        break;
                    case "START":
                        acks.start = Long.parseLong(p[1]);
                        break;
                    case "LEASE":
                        acks.lease = Long.parseLong(p[1]);
                        break;
                    case "CAS":
                        acks.casValues.add(Long.parseLong(p[1]));
                        acks.lines++;
                        break;
                    case "PUT":
                        acks.puts.put(p[1], Long.parseLong(p[2]));
                        acks.lines++;
                        break;
                    default:
                        throw new AssertionError("unexpected line from the child: " + line);
                }
                if (acks.lines >= killAfter && child.isAlive()) {
                    // SIGKILL on Linux, with writes in flight; the handle (unlike Process) keeps our end of
                    // the pipe open, so the lines the child printed before dying are still read.
                    child.toHandle().destroyForcibly();
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(ready).as("child started; stderr: %s", readQuietly(stderr)).isTrue();
        assertThat(acks.lines).as("acks before the kill; stderr: %s", readQuietly(stderr)).isGreaterThanOrEqualTo(killAfter);
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
