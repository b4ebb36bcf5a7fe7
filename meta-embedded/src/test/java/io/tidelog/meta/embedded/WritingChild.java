package io.tidelog.meta.embedded;

import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The child process of {@link KillNineTest}: writes to an embedded store until it is killed, printing
 * one line per acknowledged write, each ending in {@code " $"} so a reader can tell a whole line:
 *
 * <pre>
 * START &lt;value&gt; $        the counter as this process found it (0: absent)
 * LEASE &lt;id&gt; $          a lease of one hour, with key kill/session/&lt;round&gt; attached
 * CAS &lt;value&gt; $         this process moved kill/counter to value (compare-and-put on its mod revision)
 * PUT &lt;key&gt; &lt;rev&gt; $     key written with the value key at that revision
 * </pre>
 *
 * <p>Arguments: data directory, round.
 */
public final class WritingChild {
    static final String COUNTER = "kill/counter";
    static final int CAS_THREADS = 2;
    static final int PUT_THREADS = 2;

    private WritingChild() {
    }

    public static void main(String[] args) throws Exception {
        String dir = args[0];
        int round = Integer.parseInt(args[1]);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        MetaStore store = new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(Map.of(EmbeddedMetaStoreConfig.DIR, dir)));
        print(out, "START " + store.get(COUNTER).map(kv -> kv.valueUtf8()).orElse("0"));
        long lease = store.grantLease(Duration.ofHours(1));
        store.put("kill/session/" + round, bytes("round " + round), lease);
        print(out, "LEASE " + lease);
        print(out, "READY");
        for (int t = 0; t < CAS_THREADS; t++) {
            new Thread(() -> {
                while (true) {
                    Optional<KeyValue> kv = store.get(COUNTER);
                    long value = kv.map(v -> Long.parseLong(v.valueUtf8())).orElse(0L) + 1;
                    long expected = kv.map(KeyValue::modRevision).orElse(0L);
                    if (store.compareAndPut(COUNTER, expected, bytes(Long.toString(value)))) {
                        print(out, "CAS " + value);
                    }
                }
            }, "cas-" + t).start();
        }
        for (int t = 0; t < PUT_THREADS; t++) {
            int thread = t;
            new Thread(() -> {
                for (long i = 0; ; i++) {
                    String key = "kill/keys/" + round + "-" + thread + "-" + i;
                    long revision = store.put(key, bytes(key));
                    print(out, "PUT " + key + " " + revision);
                }
            }, "put-" + t).start();
        }
        Thread.currentThread().join(); // until killed
    }

    /** One write(2) per line, so a line is printed whole or not at all. */
    private static void print(PrintStream out, String line) {
        out.print(line + " $\n");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
