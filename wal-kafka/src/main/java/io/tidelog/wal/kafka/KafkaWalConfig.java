package io.tidelog.wal.kafka;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the kafka backend; each key beside its default, validated once.
 *
 * @param bootstrapServers      {@code wal.kafka.bootstrap.servers} (required): the brokers, {@code host:port,...}
 * @param topicPrefix           {@code wal.kafka.topic.prefix} ({@code tidelog-wal-}): a pchannel's topic is this
 *                              prefix and the pchannel name; letters, digits, {@code . _ -}, at most
 *                              {@value #MAX_PREFIX_LENGTH} characters (Kafka's topic name rule)
 * @param transactionalIdPrefix {@code wal.kafka.transactional.id.prefix} ({@code tidelog-wal-}): a pchannel's
 *                              writer is the transactional producer with this prefix and the pchannel name as
 *                              {@code transactional.id}; every process writing the pchannel must use the same
 *                              prefix, or fencing does not reach between them
 * @param replicationFactor     {@code wal.kafka.replication.factor} (-1, the broker's
 *                              {@code default.replication.factor}): replicas of a topic the backend creates
 * @param minInsyncReplicas     {@code wal.kafka.min.insync.replicas} (unset: the broker's): the topic's
 *                              {@code min.insync.replicas}, the replicas that hold a record before it is
 *                              acknowledged ({@code acks=all})
 * @param maxRecordBytes        {@code wal.kafka.max.record.bytes} (16MiB, at most 64MiB): the largest record
 *                              accepted; the topic's {@code max.message.bytes} and the producer's
 *                              {@code max.request.size} are set from it
 * @param bufferMaxBytes        {@code wal.kafka.buffer.max.bytes} (64MiB): accepted but not yet acknowledged bytes
 *                              per pchannel; beyond it appends wait (back-pressure)
 * @param appendTimeout         {@code wal.kafka.append.timeout} (10s): how long an append waits for buffer room
 *                              before failing with {@code RESOURCE_EXHAUSTED}
 * @param requestTimeout        {@code wal.kafka.request.timeout} (30s, 1s to 3m): the deadline of one request to a
 *                              broker ({@code request.timeout.ms}); a blocking client call
 *                              ({@code max.block.ms}, {@code default.api.timeout.ms}) and a record's delivery
 *                              ({@code delivery.timeout.ms}) get twice as long, and a transaction
 *                              ({@code transaction.timeout.ms}) four times, so that the broker never aborts a
 *                              transaction the writer still works on (it must stay within the broker's
 *                              {@code transaction.max.timeout.ms}, 15 minutes by default)
 * @param producerOverrides     {@code wal.kafka.producer.*}: producer settings passed through (for example
 *                              {@code wal.kafka.producer.compression.type=lz4}), except those the backend decides
 * @param consumerOverrides     {@code wal.kafka.consumer.*}: the same for the scanners' consumers
 * @param adminOverrides        {@code wal.kafka.admin.*}: the same for the admin client (topics, truncation)
 */
public record KafkaWalConfig(String bootstrapServers, String topicPrefix, String transactionalIdPrefix,
                             short replicationFactor, OptionalInt minInsyncReplicas, int maxRecordBytes,
                             long bufferMaxBytes, Duration appendTimeout, Duration requestTimeout,
                             Map<String, String> producerOverrides, Map<String, String> consumerOverrides,
                             Map<String, String> adminOverrides) {
    public static final String PREFIX = "wal.kafka.";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String TOPIC_PREFIX = PREFIX + "topic.prefix";
    public static final String TRANSACTIONAL_ID_PREFIX = PREFIX + "transactional.id.prefix";
    public static final String REPLICATION_FACTOR = PREFIX + "replication.factor";
    public static final String MIN_INSYNC_REPLICAS = PREFIX + "min.insync.replicas";
    public static final String MAX_RECORD_BYTES = PREFIX + "max.record.bytes";
    public static final String BUFFER_MAX_BYTES = PREFIX + "buffer.max.bytes";
    public static final String APPEND_TIMEOUT = PREFIX + "append.timeout";
    public static final String REQUEST_TIMEOUT = PREFIX + "request.timeout";
    public static final String PRODUCER_PREFIX = PREFIX + "producer.";
    public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
    public static final String ADMIN_PREFIX = PREFIX + "admin.";

    /** The longest topic prefix: a pchannel name has up to 128 characters and a topic name up to 249. */
    public static final int MAX_PREFIX_LENGTH = 121;
    /** The largest {@code max.record.bytes}: a produce request must stay well below the broker's 100 MiB limit. */
    public static final int MAX_MAX_RECORD_BYTES = 64 << 20;

    private static final Pattern TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");

    /** Client settings the backend decides itself: its contract depends on them, or a {@code wal.kafka.*} key sets them. */
    static final Set<String> OWNED_PRODUCER_KEYS = Set.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.CLIENT_ID_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, ProducerConfig.BUFFER_MEMORY_CONFIG);
    static final Set<String> OWNED_CONSUMER_KEYS = Set.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConsumerConfig.CLIENT_ID_CONFIG, ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, ConsumerConfig.CHECK_CRCS_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
    static final Set<String> OWNED_ADMIN_KEYS = Set.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, AdminClientConfig.CLIENT_ID_CONFIG,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);

    public KafkaWalConfig {
        producerOverrides = Map.copyOf(producerOverrides);
        consumerOverrides = Map.copyOf(consumerOverrides);
        adminOverrides = Map.copyOf(adminOverrides);
        if (minInsyncReplicas.isPresent() && replicationFactor > 0 && minInsyncReplicas.getAsInt() > replicationFactor) {
            throw StreamingException.invalidArgument("configuration key '" + MIN_INSYNC_REPLICAS + "' = "
                    + minInsyncReplicas.getAsInt() + " exceeds '" + REPLICATION_FACTOR + "' = " + replicationFactor
                    + ": no append could ever be acknowledged");
        }
    }

    public static KafkaWalConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        String bootstrap = s.requiredString(BOOTSTRAP_SERVERS);
        String topicPrefix = s.string(TOPIC_PREFIX, "tidelog-wal-");
        if (!TOPIC_CHARS.matcher(topicPrefix).matches() || topicPrefix.length() > MAX_PREFIX_LENGTH) {
            throw StreamingException.invalidArgument("configuration key '" + TOPIC_PREFIX + "' = '" + topicPrefix
                    + "' is not a topic name prefix: at most " + MAX_PREFIX_LENGTH + " letters, digits, '.', '_' and '-'");
        }
        String minIsr = s.string(MIN_INSYNC_REPLICAS, null);
        KafkaWalConfig c = new KafkaWalConfig(
                bootstrap,
                topicPrefix,
                s.string(TRANSACTIONAL_ID_PREFIX, "tidelog-wal-"),
                replicationFactor(s),
                minIsr == null ? OptionalInt.empty()
                        : OptionalInt.of(s.integer(MIN_INSYNC_REPLICAS, 1, 1, Short.MAX_VALUE)),
                (int) s.bytes(MAX_RECORD_BYTES, 16 << 20, 1, MAX_MAX_RECORD_BYTES),
                s.bytes(BUFFER_MAX_BYTES, 64L << 20, 64 << 10, 1L << 40),
                s.duration(APPEND_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                s.duration(REQUEST_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMinutes(3)),
                overrides(s, PRODUCER_PREFIX, ProducerConfig.configDef(), OWNED_PRODUCER_KEYS),
                overrides(s, CONSUMER_PREFIX, ConsumerConfig.configDef(), OWNED_CONSUMER_KEYS),
                overrides(s, ADMIN_PREFIX, AdminClientConfig.configDef(), OWNED_ADMIN_KEYS));
        s.rejectUnknown(PREFIX);
        return c;
    }

    private static short replicationFactor(Settings s) {
        int rf = s.integer(REPLICATION_FACTOR, -1, -1, Short.MAX_VALUE);
        if (rf == 0) {
            throw StreamingException.invalidArgument("configuration key '" + REPLICATION_FACTOR
                    + "' = 0: give -1 (the broker's default) or at least 1");
        }
        return (short) rf;
    }

    /**
     * The client settings given under {@code prefix}, each checked against the client's own definition (a name it
     * knows, a value it parses and accepts) and refused if the backend decides it.
     */
    private static Map<String, String> overrides(Settings s, String prefix, ConfigDef definition, Set<String> owned) {
        Map<String, String> out = new TreeMap<>();
        for (String key : s.asMap().keySet()) {
            if (!key.startsWith(prefix)) {
                continue;
            }
            String name = key.substring(prefix.length());
            String value = s.string(key, "");
            ConfigDef.ConfigKey def = definition.configKeys().get(name);
            if (def == null) {
                throw StreamingException.invalidArgument("configuration key '" + key + "': the Kafka client has no"
                        + " setting '" + name + "'");
            }
            if (owned.contains(name)) {
                throw StreamingException.invalidArgument("configuration key '" + key + "': the kafka WAL sets '"
                        + name + "' itself (its contract depends on it, or a " + PREFIX + "* key sets it)");
            }
            try {
                Object parsed = ConfigDef.parseType(name, value, def.type);
                if (def.validator != null) {
                    def.validator.ensureValid(name, parsed);
                }
            } catch (ConfigException e) {
                throw StreamingException.invalidArgument("configuration key '" + key + "' = '" + value
                        + "' is not valid: " + e.getMessage());
            }
            out.put(name, value);
        }
        return out;
    }

    /** The topic of a pchannel. */
    String topic(String pchannel) {
        return topicPrefix + pchannel;
    }

    /** The transactional id of a pchannel's writer: shared by every term, so a newer one fences the older. */
    String transactionalId(String pchannel) {
        return transactionalIdPrefix + pchannel;
    }

    /** The topic's {@code max.message.bytes}: the largest record in a batch of its own, with room for its headers. */
    int maxMessageBytes() {
        return maxRecordBytes + KafkaClients.RECORD_OVERHEAD_BYTES;
    }

    Duration blockTimeout() {
        return requestTimeout.multipliedBy(2);
    }

    Duration transactionTimeout() {
        return requestTimeout.multipliedBy(4);
    }
}
