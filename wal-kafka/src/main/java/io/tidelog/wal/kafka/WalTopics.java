package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The admin side of the pchannels' topics: creates a pchannel's topic with the settings the log needs, truncates
 * it, and measures it. One admin client per backend, shared by its logs; every call has its deadline.
 *
 * <p>A topic holds one partition, and keeps its records until the WAL truncates them: Tidelog decides retention
 * (its checkpoints, subscriptions and {@code wal.retention.*}), so the broker's time and size retention are off
 * ({@code retention.ms=-1}, {@code retention.bytes=-1}); {@code max.message.bytes} admits the largest record;
 * unclean leader election is off, so an acknowledged record is never lost to a replica that lacked it.
 */
final class WalTopics implements AutoCloseable {
    private final KafkaWalConfig config;
    private final Admin admin;
    private final Duration timeout;

    WalTopics(KafkaClients clients) {
        this.config = clients.config();
        this.admin = clients.admin();
        this.timeout = config.blockTimeout();
    }

    /**
     * Creates the pchannel's topic if it does not exist; if it does, raises its settings where they fall short of
     * what the log needs (a larger {@code max.record.bytes} than when it was created, retention turned on).
     */
    void ensure(String pchannel) {
        String topic = config.topic(pchannel);
        NewTopic t = new NewTopic(topic, Optional.of(1),
                config.replicationFactor() > 0 ? Optional.of(config.replicationFactor()) : Optional.empty())
                .configs(required());
        try {
            await(admin.createTopics(List.of(t)).all(), "create the topic " + topic);
        } catch (StreamingException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
            repair(topic);
        }
    }

    private Map<String, String> required() {
        Map<String, String> c = new java.util.HashMap<>(Map.of(
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(config.maxMessageBytes()),
                TopicConfig.RETENTION_MS_CONFIG, "-1",
                TopicConfig.RETENTION_BYTES_CONFIG, "-1",
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false"));
        config.minInsyncReplicas().ifPresent(n -> c.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(n)));
        return c;
    }

    private void repair(String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config current = await(admin.describeConfigs(List.of(resource)).all(), "describe the topic " + topic)
                .get(resource);
        List<AlterConfigOp> changes = new ArrayList<>();
        for (Map.Entry<String, String> e : required().entrySet()) {
            ConfigEntry entry = current.get(e.getKey());
            String value = entry == null ? null : entry.value();
            boolean enough = e.getKey().equals(TopicConfig.MAX_MESSAGE_BYTES_CONFIG)
                    ? value != null && Long.parseLong(value) >= config.maxMessageBytes()
                    : e.getValue().equals(value);
            if (!enough) {
                changes.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET));
            }
        }
        if (!changes.isEmpty()) {
            await(admin.incrementalAlterConfigs(Map.of(resource, changes)).all(), "set up the topic " + topic);
        }
    }

    /**
     * Discards the records of the pchannel before {@code upTo} ({@code deleteRecords}): the log start moves there at
     * once, the files go at the broker's next retention check. Idempotent; at or below the start a no-op.
     */
    void truncate(String pchannel, MessageId upTo) {
        TopicPartition partition = partition(pchannel);
        long end = await(admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition),
                "read the end of " + partition).offset();
        if (upTo.major() != 0 || upTo.minor() > end) {
            throw StreamingException.invalidArgument("pchannel " + pchannel + ": cannot truncate up to " + upTo
                    + ", it lies beyond the end of the log (" + MessageId.of(0, end) + ")");
        }
        await(admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(upTo.minor()))).all(),
                "truncate " + partition + " up to " + upTo.minor());
    }

    /**
     * True if the pchannel's topic does not exist or never held a record (its end offset is 0): every read-write open
     * writes a TERM record, and truncation never moves the end back.
     */
    boolean isNew(String pchannel) {
        TopicPartition partition = partition(pchannel);
        try {
            return await(admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition),
                    "read the end of " + partition).offset() == 0;
        } catch (StreamingException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return true;
            }
            throw e;
        }
    }

    /** The bytes the partition's largest replica holds, or -1 if the brokers do not tell in time. */
    long retainedBytes(String pchannel) {
        TopicPartition partition = partition(pchannel);
        try {
            Collection<Node> nodes = await(admin.describeCluster().nodes(), "list the brokers");
            List<Integer> ids = nodes.stream().map(Node::id).toList();
            Map<Integer, Map<String, LogDirDescription>> dirs =
                    await(admin.describeLogDirs(ids).allDescriptions(), "describe the log directories");
            long largest = -1;
            for (Map<String, LogDirDescription> byDir : dirs.values()) {
                for (LogDirDescription d : byDir.values()) {
                    ReplicaInfo r = d.replicaInfos().get(partition);
                    if (r != null) {
                        largest = Math.max(largest, r.size());
                    }
                }
            }
            return largest;
        } catch (StreamingException e) {
            return -1;
        }
    }

    TopicPartition partition(String pchannel) {
        return new TopicPartition(config.topic(pchannel), 0);
    }

    private <T> T await(KafkaFuture<T> f, String what) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw KafkaErrors.toStreaming("cannot " + what, e.getCause());
        } catch (TimeoutException e) {
            throw new StreamingException(ErrorCode.TIMEOUT, "cannot " + what + ": no answer within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while trying to " + what);
        }
    }

    @Override
    public void close() {
        admin.close(timeout);
    }

    /** As in a crash: the admin client stops at once. */
    void crash() {
        admin.close(Duration.ZERO);
    }
}
