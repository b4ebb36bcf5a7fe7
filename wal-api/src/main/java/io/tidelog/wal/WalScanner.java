package io.tidelog.wal;

import java.time.Duration;

/**
 * A cursor over one pchannel's records in log order.
 *
 * <p><b>Visibility.</b> A scanner delivers only durable records: never one whose append could still
 * fail or be lost by a crash. It delivers every record of the log from its start position on, each
 * once, in id order, and never a record that fails its checksum.
 *
 * <p><b>Threads.</b> A scanner is used by one thread at a time; it owns no thread. {@link #close()} may
 * be called from any thread and makes a blocked {@link #poll} return.
 */
public interface WalScanner extends AutoCloseable {

    /**
     * The next record, waiting up to {@code timeout} for one to become durable.
     *
     * @return the record, or {@code null} if none became available in time
     * @throws io.tidelog.common.StreamingException {@code DATA_CORRUPTED} (with the position) when the
     *         next record fails its checksum or framing; {@code OUT_OF_RANGE} when the scanner's
     *         position was truncated away; {@code ON_SHUTDOWN} when the scanner or its log is closed.
     *         After any of these the scanner delivers nothing more.
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    LogRecord poll(Duration timeout) throws InterruptedException;

    /** Releases the scanner's resources; idempotent. */
    @Override
    void close();
}
