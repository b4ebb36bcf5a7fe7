package io.tidelog.wal.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kafka broker in the test JVM for one test class: one combined KRaft node (broker and controller) from
 * Kafka's own test kit, on random ports, with its log directory in a temporary directory removed when it stops.
 * Internal topics have one replica and one partition, so transactions work on a single node and start fast.
 * Register it as a static extension; it starts before the class's first test and stops after its last. Shipped in
 * this module's test-jar (the server's end-to-end test runs standalone on it).
 */
public final class InJvmKafka implements BeforeAllCallback, AfterAllCallback {
    /** Kafka's record batch header: offset, length, epoch, magic, CRC, attributes, ... records count. */
    private static final int BATCH_HEADER_BYTES = 61;

    private KafkaClusterTestKit cluster;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        cluster = start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            cluster.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("the broker did not stop cleanly", e);
        }
    }

    private static KafkaClusterTestKit start() throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build();
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                // Kafka's default, stated: a client that asks for an unknown topic gets it created (read-only opens must not)
                .setConfigProp("auto.create.topics.enable", "true")
                .build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /**
     * The properties of a kafka WAL backend on this broker whose topics and transactional ids start with
     * {@code prefix} (a test that reuses pchannel names takes a fresh prefix), with deadlines short enough for tests.
     */
    public Map<String, String> walProperties(String prefix) {
        return Map.of(
                KafkaWalConfig.BOOTSTRAP_SERVERS, bootstrapServers(),
                KafkaWalConfig.TOPIC_PREFIX, prefix,
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, prefix,
                KafkaWalConfig.REQUEST_TIMEOUT, "10s");
    }

    /** The directory that holds the partitions' files. */
    Path logDir() {
        return Path.of(cluster.nodes().brokerNodes().values().iterator().next().logDataDirectories().iterator().next());
    }

    /**
     * Flips one byte in the middle of the payload of the record at {@code offset} of partition 0 of {@code topic}, in
     * the broker's segment file (the broker reads the file as it is when it serves a fetch, so consumers get the
     * damaged batch and its CRC check fails).
     */
    void corruptRecord(String topic, long offset) {
        Path dir = logDir().resolve(topic + "-0");
        try {
            // Read-only, and closed without FileRecords.close(): that trims the file to the size it read, which
            // fails on a read-only channel (and must not touch the broker's file) when the segment grew meanwhile.
            FileRecords records = FileRecords.open(segmentHolding(dir, offset).toFile(), false);
            try {
                for (FileChannelRecordBatch batch : records.batches()) {
                    if (batch.baseOffset() <= offset && offset <= batch.lastOffset()) {
                        flipPayloadByte(records.file().toPath(), batch, offset);
                        return;
                    }
                }
            } finally {
                records.closeHandlers();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no batch of " + dir + " holds offset " + offset);
    }

    private static Path segmentHolding(Path dir, long offset) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> segments = files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
            Path holding = null;
            for (Path s : segments) {
                String name = s.getFileName().toString();
                if (Long.parseLong(name.substring(0, name.length() - ".log".length())) <= offset) {
                    holding = s;
                }
            }
            if (holding == null) {
                throw new AssertionError("no segment of " + dir + " holds offset " + offset + ": " + segments);
            }
            return holding;
        }
    }

    private static void flipPayloadByte(Path file, FileChannelRecordBatch batch, long offset) throws IOException {
        byte[] value = null;
        for (Record r : batch) {
            if (r.offset() == offset) {
                value = new byte[r.valueSize()];
                r.value().duplicate().get(value);
            }
        }
        if (value == null || value.length == 0) {
            throw new AssertionError("the record at " + offset + " has no payload to damage");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer raw = ByteBuffer.allocate(batch.sizeInBytes());
            ch.read(raw, batch.position());
            int at = indexOf(raw.array(), value, BATCH_HEADER_BYTES);
            if (at < 0) {
                throw new AssertionError("the payload of the record at " + offset + " is not stored as it is");
            }
            int victim = at + value.length / 2;
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~raw.get(victim)}), batch.position() + (long) victim);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
