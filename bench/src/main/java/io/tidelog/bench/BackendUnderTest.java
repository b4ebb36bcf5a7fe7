package io.tidelog.bench;

import io.tidelog.common.Closeables;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The system under test: a WAL backend found by name, opened afresh for every sample in a new
 * directory with one pchannel, so that every sample starts from the same state (no segments left to
 * recycle, nothing to recover) and the disk space of the previous sample is released. The benchmarks
 * run the SUT's load for a settle period ({@code --settle-seconds}) on each fresh pchannel before
 * measuring, so that what an open starts in the background (preallocating spare segments, writing
 * hundreds of MiB) is over and the sample sees the backend's steady state, as a long-lived node would.
 *
 * <p>The backend's properties are the user's ({@code -P key=value}) plus, for backends that store in a
 * directory, that directory and the batch size the baseline uses, and for {@code kafka}, a topic and a
 * transactional id named after the sample's directory, for {@code pulsar} a topic.
 */
final class BackendUnderTest {
    static final String PCHANNEL = "bench";
    /** Keys of the kafka backend the bench chooses (the bench does not import the backend). */
    static final String KAFKA_TOPIC_PREFIX = "wal.kafka.topic.prefix";
    static final String KAFKA_TRANSACTIONAL_ID_PREFIX = "wal.kafka.transactional.id.prefix";
    static final String PULSAR_TOPIC_PREFIX = "wal.pulsar.topic.prefix";

    private final String name;
    private final Map<String, String> userProperties;
    private final WorkDir work;
    private final Long batchBytes;
    private int opened;

    /**
     * @param batchBytes the group-commit batch limit to configure, or null for the backend's default
     */
    BackendUnderTest(String name, Map<String, String> userProperties, WorkDir work, Long batchBytes) {
        this.name = name;
        this.userProperties = new TreeMap<>(userProperties);
        this.work = work;
        this.batchBytes = batchBytes;
        if (!WalBackends.providers().containsKey(name)) {
            throw new IllegalArgumentException("no WAL backend named '" + name + "' in this build; available: "
                    + WalBackends.providers().keySet());
        }
    }

    String name() {
        return name;
    }

    /** The properties a sample in {@code dir} is created with. */
    Map<String, String> properties(Path dir) {
        Map<String, String> p = new LinkedHashMap<>(userProperties);
        if (name.equals("local")) {
            p.put("wal.local.dir", dir.toString());
            if (batchBytes != null) {
                p.put("wal.local.batch.max.bytes", Long.toString(batchBytes));
            }
        }
        if (name.equals("kafka")) {
            String prefix = topicPrefix(dir);
            p.put(KAFKA_TOPIC_PREFIX, prefix);
            p.put(KAFKA_TRANSACTIONAL_ID_PREFIX, prefix);
        }
        if (name.equals("pulsar")) {
            p.put(PULSAR_TOPIC_PREFIX, topicPrefix(dir));
        }
        return p;
    }

    /**
     * The prefix of the kafka topics and transactional ids of the sample in {@code dir}: the run's directory name
     * (unique on this machine) and the sample's, so that every sample writes a topic of its own with a writer of
     * its own, also on a broker that outlives the run.
     */
    String topicPrefix(Path dir) {
        return work.path().getFileName() + "-" + dir.getFileName() + "-";
    }

    /** The prefix of every kafka topic and transactional id of this run. */
    String runTopicPrefix() {
        return work.path().getFileName() + "-";
    }

    /** The settings that every sample shares, for the report header. */
    String describe() {
        Map<String, String> p = properties(Path.of("<sample dir>"));
        return name + " " + p;
    }

    /** Creates the backend in a fresh directory and opens the pchannel read-write at term 1. */
    Opened open(String label) throws IOException {
        Path dir = work.newDirectory(label + "-" + (++opened));
        WalBackend backend = null;
        try {
            backend = WalBackends.create(name, properties(dir));
            Wal wal = backend.open(OpenOptions.readWrite(PCHANNEL, 1));
            return new Opened(backend, wal, dir);
        } catch (RuntimeException e) {
            Closeables.closeQuietly(backend, e);
            WorkDir.delete(dir);
            throw e;
        }
    }

    /** One opened sample: closing it closes the log and the backend, then removes their directory. */
    record Opened(WalBackend backend, Wal wal, Path dir) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                Closeables.closeAll(wal, backend);
            } finally {
                WorkDir.delete(dir);
            }
        }
    }
}
