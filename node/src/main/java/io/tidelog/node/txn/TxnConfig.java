package io.tidelog.node.txn;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of transactions ({@link TxnManager}); each key beside its default, validated once.
 *
 * <p>The byte limits bound what a scanner holds back: a scanner keeps the pieces of every transaction that is
 * open at its position in the log until the commit or rollback, so it never holds more than
 * {@code maxOpenBytes} of bodies (plus {@code maxOpen} BeginTxns) of one term.
 *
 * @param keepalive     {@code txn.keepalive} (10s, 1ms to 1h): how long a transaction lives without a body
 *                      when its BeginTxn names no keepalive; each body starts it anew
 * @param maxKeepalive  {@code txn.keepalive.max} (1h, at least {@code txn.keepalive}): the longest keepalive a
 *                      BeginTxn may ask for; a longer one fails with {@code INVALID_ARGUMENT}
 * @param maxBytes      {@code txn.max.bytes} (32MiB, 1KiB to 1GiB): encoded bytes of one transaction's bodies; a
 *                      body beyond fails with {@code INVALID_ARGUMENT} and fails its transaction (keep it below
 *                      what consumers accept in one gRPC message: a committed transaction travels as one)
 * @param maxOpen       {@code txn.max.open} (1024, 1 to 1M): open transactions per pchannel; a BeginTxn beyond
 *                      fails with {@code RESOURCE_EXHAUSTED}
 * @param maxOpenBytes  {@code txn.max.open.bytes} (256MiB, at least {@code txn.max.bytes}): encoded bytes of the
 *                      bodies of all open transactions of a pchannel; a body beyond fails with
 *                      {@code RESOURCE_EXHAUSTED} and fails its transaction
 */
public record TxnConfig(Duration keepalive, Duration maxKeepalive, long maxBytes, int maxOpen, long maxOpenBytes) {
    public static final String PREFIX = "txn.";

    public TxnConfig {
        if (maxKeepalive.compareTo(keepalive) < 0) {
            throw StreamingException.invalidArgument("configuration key '" + PREFIX + "keepalive.max' = " + maxKeepalive
                    + " is below '" + PREFIX + "keepalive' = " + keepalive);
        }
        if (maxOpenBytes < maxBytes) {
            throw StreamingException.invalidArgument("configuration key '" + PREFIX + "max.open.bytes' = " + maxOpenBytes
                    + " is below '" + PREFIX + "max.bytes' = " + maxBytes);
        }
    }

    public static TxnConfig defaults() {
        return from(Map.of());
    }

    /** Reads the {@code txn.*} keys; unknown keys under that prefix are rejected. */
    public static TxnConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        TxnConfig c = new TxnConfig(
                s.duration(PREFIX + "keepalive", Duration.ofSeconds(10), Duration.ofMillis(1), Duration.ofHours(1)),
                s.duration(PREFIX + "keepalive.max", Duration.ofHours(1), Duration.ofMillis(1), Duration.ofDays(1)),
                s.bytes(PREFIX + "max.bytes", 32L << 20, 1L << 10, 1L << 30),
                s.integer(PREFIX + "max.open", 1024, 1, 1 << 20),
                s.bytes(PREFIX + "max.open.bytes", 256L << 20, 1L << 10, 1L << 40));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
