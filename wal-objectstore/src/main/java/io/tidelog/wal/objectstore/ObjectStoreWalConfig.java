package io.tidelog.wal.objectstore;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Configuration of the object-store backend; each key beside its default, validated once.
 *
 * @param uri              {@code wal.objectstore.uri} (required): the store, {@code file:DIR} or
 *                         {@code s3://bucket/prefix}; the WAL keeps its objects under {@code wal/} in it
 * @param storeSettings    the store's own settings, given as {@code wal.objectstore.s3.*} (for example
 *                         {@code wal.objectstore.s3.endpoint}) and passed on as {@code objectstore.s3.*}
 * @param blockMaxBytes    {@code wal.objectstore.block.max.bytes} (2MiB): the most bytes of records one block
 *                         (one PUT) gathers; a larger record gets a block of its own
 * @param flushInterval    {@code wal.objectstore.flush.interval} (5ms on {@code file:}, 50ms elsewhere): a block
 *                         is written when it is full or when this has passed since its first record
 * @param flushParallelism {@code wal.objectstore.flush.parallelism} (8): block PUTs of one pchannel in flight
 *                         at once; a block is written only when every block this many before it is durable
 * @param segmentMaxBytes  {@code wal.objectstore.segment.max.bytes} (256MiB): a segment is sealed (its footer
 *                         written, the next block starting a new one) once it holds this many bytes
 * @param segmentMaxBlocks {@code wal.objectstore.segment.max.blocks} (1000): ... or this many blocks
 * @param segmentMaxAge    {@code wal.objectstore.segment.max.age} (10m): ... or is this old; truncation
 *                         deletes whole segments
 * @param maxRecordBytes   {@code wal.objectstore.max.record.bytes} (16MiB): the largest record accepted
 * @param bufferMaxBytes   {@code wal.objectstore.buffer.max.bytes} (64MiB): accepted but not yet durable bytes
 *                         per pchannel; beyond it appends wait (back-pressure)
 * @param appendTimeout    {@code wal.objectstore.append.timeout} (10s): how long an append waits for buffer
 *                         room before failing with {@code RESOURCE_EXHAUSTED}
 * @param putRetries       {@code wal.objectstore.put.retries} (3): retries of a block PUT that failed with an
 *                         I/O error, with backoff, before the log gives up on it (outcome unknown)
 * @param readAheadBlocks  {@code wal.objectstore.read.ahead.blocks} (4): blocks a scanner fetches ahead, in
 *                         parallel
 * @param readPollInterval {@code wal.objectstore.read.poll.interval} (the flush interval): the longest a
 *                         tailing scanner waits before it looks at the store again for a block written by
 *                         another process (blocks written by this process wake it at once)
 * @param readPollMaxInterval {@code wal.objectstore.read.poll.max.interval} (1s, at least the poll interval): a
 *                         scanner that keeps finding nothing doubles its wait up to this, so an idle reader costs
 *                         about two GETs a second rather than two every poll interval; a block found resets it
 */
public record ObjectStoreWalConfig(String uri, Map<String, String> storeSettings, int blockMaxBytes,
                                   Duration flushInterval, int flushParallelism, long segmentMaxBytes,
                                   int segmentMaxBlocks, Duration segmentMaxAge, int maxRecordBytes,
                                   long bufferMaxBytes, Duration appendTimeout, int putRetries,
                                   int readAheadBlocks, Duration readPollInterval, Duration readPollMaxInterval) {
    public static final String PREFIX = "wal.objectstore.";
    public static final String URI = PREFIX + "uri";
    /** Keys under this prefix are the store's: {@code wal.objectstore.s3.endpoint} is {@code objectstore.s3.endpoint}. */
    public static final String STORE_PREFIX = PREFIX + "s3.";
    public static final String BLOCK_MAX_BYTES = PREFIX + "block.max.bytes";
    public static final String FLUSH_INTERVAL = PREFIX + "flush.interval";
    public static final String FLUSH_PARALLELISM = PREFIX + "flush.parallelism";
    public static final String SEGMENT_MAX_BYTES = PREFIX + "segment.max.bytes";
    public static final String SEGMENT_MAX_BLOCKS = PREFIX + "segment.max.blocks";
    public static final String SEGMENT_MAX_AGE = PREFIX + "segment.max.age";
    public static final String MAX_RECORD_BYTES = PREFIX + "max.record.bytes";
    public static final String BUFFER_MAX_BYTES = PREFIX + "buffer.max.bytes";
    public static final String APPEND_TIMEOUT = PREFIX + "append.timeout";
    public static final String PUT_RETRIES = PREFIX + "put.retries";
    public static final String READ_AHEAD_BLOCKS = PREFIX + "read.ahead.blocks";
    public static final String READ_POLL_INTERVAL = PREFIX + "read.poll.interval";
    public static final String READ_POLL_MAX_INTERVAL = PREFIX + "read.poll.max.interval";

    /** The flush interval on a local directory store, where a PUT costs a file write and two fsyncs. */
    public static final Duration LOCAL_FLUSH_INTERVAL = Duration.ofMillis(5);
    /** The flush interval on a remote store, where a PUT costs tens of milliseconds and money. */
    public static final Duration REMOTE_FLUSH_INTERVAL = Duration.ofMillis(50);

    public ObjectStoreWalConfig {
        storeSettings = Map.copyOf(storeSettings);
        if (bufferMaxBytes < blockMaxBytes) {
            throw StreamingException.invalidArgument(BUFFER_MAX_BYTES + " must be at least " + BLOCK_MAX_BYTES);
        }
        if (readPollMaxInterval.compareTo(readPollInterval) < 0) {
            throw StreamingException.invalidArgument(READ_POLL_MAX_INTERVAL + " (" + readPollMaxInterval
                    + ") must be at least " + READ_POLL_INTERVAL + " (" + readPollInterval + ")");
        }
        if (segmentMaxBytes < blockMaxBytes) {
            throw StreamingException.invalidArgument(SEGMENT_MAX_BYTES + " must be at least " + BLOCK_MAX_BYTES);
        }
    }

    public static ObjectStoreWalConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        String uri = s.requiredString(URI);
        Map<String, String> store = new HashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (e.getKey().startsWith(STORE_PREFIX)) {
                s.string(e.getKey(), null); // read: the store validates its own keys
                store.put("objectstore." + e.getKey().substring(PREFIX.length()), e.getValue());
            }
        }
        boolean local = uri.toLowerCase(Locale.ROOT).startsWith("file:");
        Duration flush = s.duration(FLUSH_INTERVAL, local ? LOCAL_FLUSH_INTERVAL : REMOTE_FLUSH_INTERVAL,
                Duration.ofMillis(1), Duration.ofSeconds(10));
        Duration pollInterval = s.duration(READ_POLL_INTERVAL, flush, Duration.ofMillis(1), Duration.ofMinutes(1));
        ObjectStoreWalConfig c = new ObjectStoreWalConfig(
                uri,
                store,
                (int) s.bytes(BLOCK_MAX_BYTES, 2 << 20, 4 << 10, 256 << 20),
                flush,
                s.integer(FLUSH_PARALLELISM, 8, 1, 256),
                s.bytes(SEGMENT_MAX_BYTES, 256L << 20, 4 << 10, 1L << 40),
                s.integer(SEGMENT_MAX_BLOCKS, 1000, 2, 1 << 20),
                s.duration(SEGMENT_MAX_AGE, Duration.ofMinutes(10), Duration.ofMillis(1), Duration.ofDays(7)),
                (int) s.bytes(MAX_RECORD_BYTES, 16 << 20, 1, 1 << 30),
                s.bytes(BUFFER_MAX_BYTES, 64L << 20, 4 << 10, 1L << 40),
                s.duration(APPEND_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                s.integer(PUT_RETRIES, 3, 0, 100),
                s.integer(READ_AHEAD_BLOCKS, 4, 0, 256),
                pollInterval,
                s.duration(READ_POLL_MAX_INTERVAL, max(Duration.ofSeconds(1), pollInterval), Duration.ofMillis(1),
                        Duration.ofMinutes(10)));
        s.rejectUnknown(PREFIX);
        return c;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
