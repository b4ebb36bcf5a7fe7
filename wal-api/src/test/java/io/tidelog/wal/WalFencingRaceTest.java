package io.tidelog.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing across processes, for a backend whose storage two processes share: in each round a child process
 * ({@link FencingRaceChild}) appends at term T as fast as it can; this process opens the pchannel at a newer term
 * while it does, appends, and then kills the child with SIGKILL. Checked on the log read back, every round:
 * <ul>
 *   <li>every append acknowledged at the newer term is there, with its id;</li>
 *   <li>every append acknowledged at T is there, with its id, before the newer term's first record, and no
 *       record of T comes after that first record;</li>
 *   <li>no append of T submitted after the newer term's open returned was acknowledged (an acknowledgement of T
 *       that arrives later than the open is allowed only for a record already in the log the open settled,
 *       which the previous check proves);</li>
 *   <li>every record is whole and delivered once, ids strictly increase.</li>
 * </ul>
 * Seeded; the seed is printed when a round fails.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
public abstract class WalFencingRaceTest {
    @RegisterExtension
    protected final Seeds seeds = new Seeds();

    @TempDir
    protected Path scratch;

    protected abstract String backendName();

    /** The properties of a backend over the shared storage; the child process gets the same. */
    protected abstract Map<String, String> backendProperties();

    protected int rounds() {
        return 20;
    }

    @Test
    void aStaleWriterInAnotherProcessNeverGetsAnAppendAcknowledgedPastTheFence() throws Exception {
        Random random = seeds.random();
        int lateAcks = 0;
        try (WalBackend backend = WalBackends.create(backendName(), backendProperties())) {
            for (int round = 0; round < rounds(); round++) {
                lateAcks += round(backend, round, random);
            }
        }
        System.out.printf("%s fencing race: %d rounds; %d acknowledgements of the old term arrived after the new"
                + " term's open returned, all for records already in the log before the new term's%n",
                backendName(), rounds(), lateAcks);
    }

    private int round(WalBackend backend, int round, Random random) throws Exception {
        String pchannel = "race-" + round;
        long oldTerm = 1 + random.nextInt(1000);
        long newTerm = oldTerm + 1 + random.nextInt(3);
        int ackedBeforeOpen = 20 + random.nextInt(400);
        int newAppends = 1 + random.nextInt(200);

        ChildWriter child = ChildWriter.start(scratch, backendName(), backendProperties(), pchannel, oldTerm);
        try {
            Await.until("the old writer acknowledged " + ackedBeforeOpen + " appends; stderr: " + child.stderr(),
                    Duration.ofSeconds(60), () -> child.acks.size() >= ackedBeforeOpen || !child.isAlive());
            assertThat(child.isAlive()).as("child alive; stderr: %s", child.stderr()).isTrue();

            Wal newer = backend.open(OpenOptions.readWrite(pchannel, newTerm));
            long opened = System.nanoTime();
            try {
                List<CompletableFuture<MessageId>> fs = new ArrayList<>();
                for (int i = 0; i < newAppends; i++) {
                    fs.add(newer.append(ByteBuffer.wrap(FencingRaceChild.record("n" + newTerm + "-" + i))));
                }
                Map<String, MessageId> newAcks = new HashMap<>();
                for (int i = 0; i < newAppends; i++) {
                    newAcks.put("n" + newTerm + "-" + i, fs.get(i).get(60, TimeUnit.SECONDS));
                }
                child.kill();
                int late = check(newer, pchannel, oldTerm, opened, child.acks, newAcks);
                // What the round wrote is not needed any more (and truncation runs on a raced log too).
                newer.truncate(newAcks.values().stream().max(MessageId::compareTo).orElseThrow());
                return late;
            } finally {
                newer.close();
            }
        } finally {
            child.kill();
        }
    }

    private int check(Wal newer, String pchannel, long oldTerm, long opened, Map<String, ChildWriter.Ack> oldAcks,
                      Map<String, MessageId> newAcks) throws InterruptedException {
        List<String> keys = new ArrayList<>();
        List<MessageId> ids = new ArrayList<>();
        try (WalScanner s = newer.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofSeconds(2))) != null) {
                String key = FencingRaceChild.keyOf(r.bytes());
                assertThat(key).as("%s: record %s is whole", pchannel, r.id()).isNotNull();
                if (!ids.isEmpty()) {
                    assertThat(r.id()).as("%s: ids increase", pchannel).isGreaterThan(ids.get(ids.size() - 1));
                }
                keys.add(key);
                ids.add(r.id());
            }
        }
        assertThat(keys).as("%s: each record once", pchannel).doesNotHaveDuplicates();
        int firstNew = -1;
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).startsWith("n")) {
                firstNew = i;
                break;
            }
        }
        assertThat(firstNew).as("%s: the new term's records are there", pchannel).isNotNegative();
        for (int i = firstNew; i < keys.size(); i++) {
            assertThat(keys.get(i)).as("%s: no record of term %d after the first of the new term", pchannel, oldTerm)
                    .startsWith("n");
        }
        Map<String, MessageId> logged = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            logged.put(keys.get(i), ids.get(i));
        }
        for (Map.Entry<String, MessageId> e : newAcks.entrySet()) {
            assertThat(logged.get(e.getKey())).as("%s: acknowledged %s is read back", pchannel, e.getKey())
                    .isEqualTo(e.getValue());
        }
        int late = 0;
        for (Map.Entry<String, ChildWriter.Ack> e : oldAcks.entrySet()) {
            ChildWriter.Ack a = e.getValue();
            assertThat(a.submitted() - opened).as("%s: %s was appended after the new term's open returned, yet"
                    + " acknowledged", pchannel, e.getKey()).isLessThan(0);
            assertThat(logged.get(e.getKey())).as("%s: acknowledged %s of the old term is read back", pchannel,
                    e.getKey()).isEqualTo(a.id());
            if (a.acknowledged() - opened > 0) {
                late++;
            }
        }
        return late;
    }
}
