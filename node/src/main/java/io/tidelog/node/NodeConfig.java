package io.tidelog.node;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the streaming node's WAL framework; each key beside its default, validated once.
 *
 * @param timeTickInterval   {@code node.timetick.interval} (200ms): how often each pchannel gets a
 *                           TimeTick; it is written to the WAL only if data was appended since the
 *                           last one, otherwise it only reaches tailing readers
 * @param bufferCapacity     {@code node.buffer.capacity} (64MiB): bytes of recent messages kept in
 *                           memory per pchannel (the write-ahead buffer) for tailing readers
 * @param bufferKeepalive    {@code node.buffer.keepalive} (30s): how long a message stays in the buffer
 * @param openTimeout        {@code node.open.timeout} (30s): how long opening a pchannel may take
 *                           (fencing and the first TimeTick)
 * @param checkpointInterval {@code node.checkpoint.interval} (10s): how often the recovery state of a
 *                           pchannel that changed is persisted (and its WAL truncated below the checkpoint)
 * @param checkpointDirtyMessages {@code node.checkpoint.dirty.messages} (10000): persist sooner once this many
 *                           messages were appended since the last persisted state
 * @param reopenBackoff      {@code node.reopen.backoff} (1s): a WAL that failed (a full disk, an append of
 *                           unknown outcome; not a fence) is reopened at its term this long after it failed,
 *                           and again after each failed attempt, the pause doubling
 * @param reopenMaxBackoff   {@code node.reopen.max.backoff} (10s): the longest pause between two attempts
 * @param tsoBatch           {@code node.tso.batch} (10000): in a cluster, how many timestamps the node takes from the
 *                           leader coordinator's TSO in one call (more when one request needs more; the oracle issues
 *                           262144 a millisecond, so a large batch costs nothing)
 * @param tsoBatchMaxAge     {@code node.tso.batch.max.age} (500ms): in a cluster, how long timestamps taken ahead are
 *                           used before fresher ones are taken, so time ticks stay close to the clock; when no leader
 *                           answers at once, the old ones are used on until the batch is used up
 * @param tsoTimeout         {@code node.tso.timeout} (10s): in a cluster, how long taking timestamps may try (each
 *                           coordinator in turn, following the leader) when the node has none left, before the
 *                           request that needs them fails with {@code TIMEOUT}
 */
public record NodeConfig(Duration timeTickInterval, long bufferCapacity, Duration bufferKeepalive, Duration openTimeout,
                         Duration checkpointInterval, int checkpointDirtyMessages, Duration reopenBackoff,
                         Duration reopenMaxBackoff, int tsoBatch, Duration tsoBatchMaxAge, Duration tsoTimeout) {
    public static final String PREFIX = "node.";

    public NodeConfig {
        if (reopenMaxBackoff.compareTo(reopenBackoff) < 0) {
            throw StreamingException.invalidArgument(PREFIX + "reopen.max.backoff = " + reopenMaxBackoff + " is below "
                    + PREFIX + "reopen.backoff = " + reopenBackoff);
        }
    }

    public static NodeConfig defaults() {
        return from(Map.of());
    }

    public static NodeConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        NodeConfig c = new NodeConfig(
                s.duration(PREFIX + "timetick.interval", Duration.ofMillis(200), Duration.ofMillis(1), Duration.ofMinutes(1)),
                s.bytes(PREFIX + "buffer.capacity", 64L << 20, 0, 1L << 40),
                s.duration(PREFIX + "buffer.keepalive", Duration.ofSeconds(30), Duration.ZERO, Duration.ofDays(1)),
                s.duration(PREFIX + "open.timeout", Duration.ofSeconds(30), Duration.ofMillis(1), Duration.ofHours(1)),
                s.duration(PREFIX + "checkpoint.interval", Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofHours(1)),
                s.integer(PREFIX + "checkpoint.dirty.messages", 10_000, 1, 100_000_000),
                s.duration(PREFIX + "reopen.backoff", Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofHours(1)),
                s.duration(PREFIX + "reopen.max.backoff", Duration.ofSeconds(10), Duration.ofMillis(1), Duration.ofHours(1)),
                s.integer(PREFIX + "tso.batch", 10_000, 1, 100_000),
                s.duration(PREFIX + "tso.batch.max.age", Duration.ofMillis(500), Duration.ZERO, Duration.ofMinutes(1)),
                s.duration(PREFIX + "tso.timeout", Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofHours(1)));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
