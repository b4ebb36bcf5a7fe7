package io.tidelog.wal.objectstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.objectstore.ObjectStores;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scanner tailing a log another process writes looks at the store less and less often while nothing comes (an
 * idle reader must not cost a GET or two every poll interval forever), and still finds the next block.
 */
class ObjectStoreScannerIdleTest {
    @TempDir
    Path dir;

    @Test
    void anIdleTailingScannerBacksOffToTheMaxIntervalAndStillFindsTheNextBlockOfAnotherProcess() throws Exception {
        Map<String, String> p = new HashMap<>(ObjectStoreWalTesting.smallBlocks("file:" + dir));
        p.put(ObjectStoreWalConfig.READ_POLL_INTERVAL, "10ms");
        p.put(ObjectStoreWalConfig.READ_POLL_MAX_INTERVAL, "200ms");
        ObjectStoreWalConfig config = ObjectStoreWalConfig.from(p);
        GatedObjectStore counted = new GatedObjectStore(ObjectStores.open("file:" + dir, Map.of()));
        try (ObjectStoreWalBackend writerSide = new ObjectStoreWalBackend(config);
             ObjectStoreWalBackend readerSide = new ObjectStoreWalBackend(config, counted);
             Wal writer = writerSide.open(OpenOptions.readWrite("p", 1));
             Wal reader = readerSide.open(OpenOptions.readOnly("p"))) {
            writer.append(record("first")).get(10, TimeUnit.SECONDS);
            try (WalScanner scanner = reader.read(DeliverPolicy.all())) {
                assertThat(text(scanner.poll(Duration.ofSeconds(10)))).isEqualTo("first");

                long before = counted.gets.get();
                long start = System.nanoTime();
                assertThat(scanner.poll(Duration.ofSeconds(2))).isNull();
                double seconds = (System.nanoTime() - start) / 1e9;
                long gets = counted.gets.get() - before;
                // Without backing off: two GETs (the next block, the footer) every 10 ms, about 400 in 2 s. Backing
                // off: a handful while the wait doubles to 200 ms, then two every 200 ms (about 30), plus a
                // truncation mark now and then.
                assertThat(gets).as("GETs of an idle scanner in %.1f s", seconds).isLessThan(80);

                writer.append(record("second")).get(10, TimeUnit.SECONDS);
                assertThat(text(scanner.poll(Duration.ofSeconds(10)))).isEqualTo("second");
            }
        }
    }

    private static ByteBuffer record(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(LogRecord r) {
        assertThat(r).isNotNull();
        return new String(r.bytes(), StandardCharsets.UTF_8);
    }
}
