package io.tidelog.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash, for a backend whose storage outlives the process: a child process ({@link FencingRaceChild})
 * appends from several threads and is killed with SIGKILL while appends are in flight, three times in a row,
 * each time at a new term. Afterwards, reopened in this process, every acknowledged record is read back with the
 * id it was acknowledged with, in order, and every record in the log is whole (an unacknowledged tail is whole or
 * absent). Seeded.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class WalKillNineTest {
    @RegisterExtension
    protected final Seeds seeds = new Seeds();

    @TempDir
    protected Path scratch;

    protected abstract String backendName();

    /** The properties of a backend over storage that survives the child; this process reopens with the same. */
    protected abstract Map<String, String> backendProperties();

    @Test
    void everyAcknowledgedRecordSurvivesKillNineAndNoRecordIsTorn() throws Exception {
        Random random = seeds.random();
        Map<String, MessageId> acked = new HashMap<>();
        for (int term = 1; term <= 3; term++) {
            int killAfter = 300 + random.nextInt(2000);
            try (ChildWriter child = ChildWriter.start(scratch, backendName(), backendProperties(), "p-kill", term)) {
                Await.until("the child acknowledged " + killAfter + " appends; stderr: " + child.stderr(),
                        Duration.ofSeconds(60), () -> child.acks.size() >= killAfter || !child.isAlive());
                assertThat(child.isAlive()).as("child alive; stderr: %s", child.stderr()).isTrue();
                child.kill();
                assertThat(child.exitValue()).as("killed by signal 9").isEqualTo(137);
                child.acks.forEach((k, a) -> acked.put(k, a.id()));
            }
        }
        try (WalBackend backend = WalBackends.create(backendName(), backendProperties());
             Wal wal = backend.open(OpenOptions.readWrite("p-kill", 4))) {
            Set<String> seen = new HashSet<>();
            MessageId previous = null;
            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                LogRecord r;
                while ((r = s.poll(Duration.ofSeconds(1))) != null) {
                    String key = FencingRaceChild.keyOf(r.bytes());
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
            System.out.printf("%s kill -9 x3: %d acknowledged, %d in the log (%d were in flight at a kill)%n",
                    backendName(), acked.size(), seen.size(), seen.size() - acked.size());
            Set<String> lost = new HashSet<>(acked.keySet());
            lost.removeAll(seen);
            assertThat(lost).as("acknowledged but lost").isEmpty();
            MessageId next = wal.append(ByteBuffer.wrap(FencingRaceChild.record("after"))).get(30, TimeUnit.SECONDS);
            assertThat(next).isGreaterThan(previous);
        }
    }
}
