package io.tidelog.wal.pulsar;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.pulsar.client.impl.conf.ConfigurationDataUtils;
import org.apache.pulsar.client.impl.conf.ProducerConfigurationData;

/**
 * Configuration of the pulsar backend; each key beside its default, validated once.
 *
 * @param serviceUrl        {@code wal.pulsar.service.url} (required): the brokers' binary protocol,
 *                          {@code pulsar://host:port[,host:port...]} or {@code pulsar+ssl://...}
 * @param adminUrl          {@code wal.pulsar.admin.url} (required): the brokers' admin REST API,
 *                          {@code http://host:port}; used to tell whether a log is new, to trim a truncated topic
 *                          at once and to measure it
 * @param tenant            {@code wal.pulsar.tenant} ({@code public}): the tenant of the topics; must exist
 * @param namespace         {@code wal.pulsar.namespace} ({@code default}): the namespace of the topics; must exist,
 *                          with no message TTL and no backlog quota that evicts (the defaults): Tidelog decides
 *                          retention through the topic's retention subscription (see {@link PulsarWal})
 * @param topicPrefix       {@code wal.pulsar.topic.prefix} ({@code tidelog-wal-}): a pchannel's topic is
 *                          {@code persistent://<tenant>/<namespace>/<prefix><pchannel>}; letters, digits,
 *                          {@code . _ -}, at most {@value #MAX_PREFIX_LENGTH} characters
 * @param maxRecordBytes    {@code wal.pulsar.max.record.bytes} (4MiB, at most 64MiB): the largest record accepted;
 *                          the broker's {@code maxMessageSize} (5 MiB by default) must admit it with room for its
 *                          metadata
 * @param batchMaxBytes     {@code wal.pulsar.batch.max.bytes} (1MiB, 1KiB to 64MiB): appends waiting together are
 *                          sent as one batch (one entry, one round trip) of up to this many bytes
 * @param batchMaxRecords   {@code wal.pulsar.batch.max.records} (4096, 1 to {@value PulsarIds#MAX_BATCH}): and up to
 *                          this many records
 * @param batchDelay        {@code wal.pulsar.batch.delay} (1ms, 0 to 1s): how long the client holds a batch open
 *                          for more appends; 0 sends every append as an entry of its own
 * @param bufferMaxBytes    {@code wal.pulsar.buffer.max.bytes} (64MiB): accepted but not yet acknowledged bytes per
 *                          pchannel; beyond it appends wait (back-pressure)
 * @param appendTimeout     {@code wal.pulsar.append.timeout} (10s): how long an append waits for buffer room before
 *                          failing with {@code RESOURCE_EXHAUSTED}
 * @param requestTimeout    {@code wal.pulsar.request.timeout} (30s, 1s to 3m): the deadline of every call to the
 *                          brokers: an append's send ({@code sendTimeout}), a lookup, a producer's or reader's
 *                          creation, an admin request; a blocking step of the backend waits at most twice as long
 * @param producerOverrides {@code wal.pulsar.producer.*}: producer settings passed through by their name in the
 *                          client's {@code loadConf} (for example {@code wal.pulsar.producer.compressionType=LZ4}),
 *                          except those the backend decides
 */
public record PulsarWalConfig(String serviceUrl, String adminUrl, String tenant, String namespace, String topicPrefix,
                              int maxRecordBytes, int batchMaxBytes, int batchMaxRecords, Duration batchDelay,
                              long bufferMaxBytes, Duration appendTimeout, Duration requestTimeout,
                              Map<String, String> producerOverrides) {
    public static final String PREFIX = "wal.pulsar.";
    public static final String SERVICE_URL = PREFIX + "service.url";
    public static final String ADMIN_URL = PREFIX + "admin.url";
    public static final String TENANT = PREFIX + "tenant";
    public static final String NAMESPACE = PREFIX + "namespace";
    public static final String TOPIC_PREFIX = PREFIX + "topic.prefix";
    public static final String MAX_RECORD_BYTES = PREFIX + "max.record.bytes";
    public static final String BATCH_MAX_BYTES = PREFIX + "batch.max.bytes";
    public static final String BATCH_MAX_RECORDS = PREFIX + "batch.max.records";
    public static final String BATCH_DELAY = PREFIX + "batch.delay";
    public static final String BUFFER_MAX_BYTES = PREFIX + "buffer.max.bytes";
    public static final String APPEND_TIMEOUT = PREFIX + "append.timeout";
    public static final String REQUEST_TIMEOUT = PREFIX + "request.timeout";
    public static final String PRODUCER_PREFIX = PREFIX + "producer.";

    /** The longest topic prefix: a pchannel name has up to 128 characters. */
    public static final int MAX_PREFIX_LENGTH = 120;

    private static final Pattern NAME_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");
    private static final Pattern SERVICE_URL_FORM = Pattern.compile("pulsar(\\+ssl)?://[^/\\s]+(:\\d+)?(,[^/\\s]+)*/?");

    /**
     * Producer settings the backend decides itself: fencing (access mode, name), the deadline of a send, batching
     * (a {@code wal.pulsar.batch.*} key sets it), and the queue that back-pressure replaces.
     */
    static final Set<String> OWNED_PRODUCER_KEYS = Set.of(
            "topicName", "producerName", "accessMode", "sendTimeoutMs", "blockIfQueueFull", "maxPendingMessages",
            "maxPendingMessagesAcrossPartitions", "batchingEnabled", "batchingMaxMessages", "batchingMaxBytes",
            "batchingMaxPublishDelayMicros", "batchingPartitionSwitchFrequencyByPublishDelay", "batcherBuilder",
            "chunkingEnabled", "chunkMaxMessageSize", "initialSequenceId", "messageRoutingMode", "customMessageRouter",
            "autoUpdatePartitions", "autoUpdatePartitionsIntervalSeconds", "initialSubscriptionName",
            "lazyStartPartitionedProducers", "multiSchema", "properties");

    public PulsarWalConfig {
        producerOverrides = Map.copyOf(producerOverrides);
    }

    public static PulsarWalConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        String serviceUrl = s.requiredString(SERVICE_URL).trim();
        if (!SERVICE_URL_FORM.matcher(serviceUrl).matches()) {
            throw StreamingException.invalidArgument("configuration key '" + SERVICE_URL + "' = '" + serviceUrl
                    + "' is not a Pulsar service URL: pulsar://host:port[,host:port...] or pulsar+ssl://...");
        }
        String adminUrl = httpUrl(s.requiredString(ADMIN_URL).trim());
        PulsarWalConfig c = new PulsarWalConfig(
                serviceUrl,
                adminUrl,
                name(s, TENANT, "public", 64),
                name(s, NAMESPACE, "default", 64),
                name(s, TOPIC_PREFIX, "tidelog-wal-", MAX_PREFIX_LENGTH),
                (int) s.bytes(MAX_RECORD_BYTES, 4 << 20, 1, 64 << 20),
                (int) s.bytes(BATCH_MAX_BYTES, 1 << 20, 1 << 10, 64 << 20),
                s.integer(BATCH_MAX_RECORDS, 4096, 1, PulsarIds.MAX_BATCH),
                s.duration(BATCH_DELAY, Duration.ofMillis(1), Duration.ZERO, Duration.ofSeconds(1)),
                s.bytes(BUFFER_MAX_BYTES, 64L << 20, 64 << 10, 1L << 40),
                s.duration(APPEND_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                s.duration(REQUEST_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMinutes(3)),
                producerOverrides(s));
        s.rejectUnknown(PREFIX);
        return c;
    }

    private static String httpUrl(String value) {
        try {
            URI u = new URI(value);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw new URISyntaxException(value, "not http(s)://host[:port]");
            }
            return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        } catch (URISyntaxException e) {
            throw StreamingException.invalidArgument("configuration key '" + ADMIN_URL + "' = '" + value
                    + "' is not the admin REST URL of a broker (http://host:port)");
        }
    }

    private static String name(Settings s, String key, String defaultValue, int maxLength) {
        String v = s.string(key, defaultValue);
        if (!NAME_CHARS.matcher(v).matches() || v.length() > maxLength || (v.isEmpty() && !key.equals(TOPIC_PREFIX))) {
            throw StreamingException.invalidArgument("configuration key '" + key + "' = '" + v + "' is not valid: at"
                    + " most " + maxLength + " letters, digits, '.', '_' and '-'");
        }
        return v;
    }

    /**
     * The producer settings given under {@code wal.pulsar.producer.}, each checked by the client's own loader (a
     * field it knows, a value of its type) and refused if the backend decides it.
     */
    private static Map<String, String> producerOverrides(Settings s) {
        Map<String, String> out = new TreeMap<>();
        for (String key : s.asMap().keySet()) {
            if (!key.startsWith(PRODUCER_PREFIX)) {
                continue;
            }
            String name = key.substring(PRODUCER_PREFIX.length());
            String value = s.string(key, "");
            if (OWNED_PRODUCER_KEYS.contains(name)) {
                throw StreamingException.invalidArgument("configuration key '" + key + "': the pulsar WAL sets '"
                        + name + "' itself (its contract depends on it, or a " + PREFIX + "* key sets it)");
            }
            try {
                ConfigurationDataUtils.loadData(Map.of(name, value), new ProducerConfigurationData(),
                        ProducerConfigurationData.class);
            } catch (RuntimeException e) {
                throw StreamingException.invalidArgument("configuration key '" + key + "' = '" + value
                        + "' is not a producer setting the Pulsar client accepts: " + e.getMessage());
            }
            out.put(name, value);
        }
        return out;
    }

    /** The full name of a pchannel's topic. */
    String topic(String pchannel) {
        return "persistent://" + tenant + "/" + namespace + "/" + topicPrefix + pchannel;
    }

    /** The topic's path in the admin REST API, {@code /admin/v2/persistent/<tenant>/<namespace>/<topic>}. */
    String adminPath(String pchannel) {
        return "/admin/v2/persistent/" + tenant + "/" + namespace + "/" + topicPrefix + pchannel;
    }

    /** How long a blocking step of the backend waits: twice the deadline of one request. */
    Duration blockTimeout() {
        return requestTimeout.multipliedBy(2);
    }
}
