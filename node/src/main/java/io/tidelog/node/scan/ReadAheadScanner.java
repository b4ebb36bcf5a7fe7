package io.tidelog.node.scan;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Reads a backend scanner ahead on a thread of its own, up to {@code maxBytes} of records, so that reading the
 * log (disk, checksums) and applying it (decoding, the extensions) overlap during replay. Stops after the record
 * {@code last}, at the first error (handed to the consumer in order), or when closed.
 *
 * <p><b>Threads.</b> The reading thread ({@code replay-read-<pchannel>}) alone polls the backend scanner; one
 * consumer calls {@link #next}. Records are handed over whole and in order.
 *
 * <p>Used by the replay of the pchannel's {@code StreamingWal}; public for it alone.
 */
public final class ReadAheadScanner implements AutoCloseable {
    private static final LogRecord END = new LogRecord(MessageId.of(0, 0), java.nio.ByteBuffer.allocate(0));

    private final WalScanner scanner;
    private final MessageId last;
    private final Duration pollTimeout;
    private final int maxBytes;
    private final Semaphore bytes;
    private final BlockingQueue<LogRecord> ready = new ArrayBlockingQueue<>(4096);
    private final Thread reader;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    public ReadAheadScanner(String pchannel, WalScanner scanner, MessageId last, Duration pollTimeout, int maxBytes) {
        this.scanner = scanner;
        this.last = last;
        this.pollTimeout = pollTimeout;
        this.maxBytes = maxBytes;
        this.bytes = new Semaphore(maxBytes);
        this.reader = new Thread(this::read, "replay-read-" + pchannel);
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try {
            while (!closed) {
                LogRecord r = scanner.poll(pollTimeout);
                if (r == null) {
                    throw new StreamingException(io.tidelog.common.ErrorCode.TIMEOUT, "no record within " + pollTimeout
                            + " before " + last);
                }
                bytes.acquire(weight(r));
                ready.put(r);
                if (r.id().equals(last)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
            ready.offer(END);
        }
    }

    private int weight(LogRecord r) {
        return Math.min(maxBytes, Math.max(1, r.payload().remaining()));
    }

    /**
     * The next record, in log order.
     *
     * @throws StreamingException what reading failed with ({@code TIMEOUT} if the backend delivered nothing in time)
     */
    public LogRecord next() throws InterruptedException {
        LogRecord r = ready.poll(pollTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        if (r == null || r == END) {
            RuntimeException f = failure;
            throw f != null ? f : new StreamingException(io.tidelog.common.ErrorCode.TIMEOUT,
                    "replay read nothing within " + pollTimeout);
        }
        bytes.release(weight(r));
        return r;
    }

    /** Stops the reading thread and waits for it; the caller closes the backend scanner afterwards. */
    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
