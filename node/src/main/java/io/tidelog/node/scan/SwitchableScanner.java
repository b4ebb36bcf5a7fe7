package io.tidelog.node.scan;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A scanner with two modes:
 *
 * <pre>
 *            the buffer holds all that follows
 *  CATCH-UP ──────────────────────────────▶ TAILING
 *  (backend)◀────────────────────────────── (write-ahead buffer)
 *            position evicted / buffer closed
 * </pre>
 *
 * Catching up reads the backend from the start position; as soon as the write-ahead buffer holds
 * everything after the last message read, it tails the buffer instead. A tailing reader that falls
 * behind the buffer's eviction goes back to the backend, right after the last persisted message it
 * consumed. Messages arrive in log order, which is time-tick order (see {@code StreamingWal}).
 *
 * <p>Read pipeline, per message: backend or buffer, vchannel filter, {@link TxnBuffer} (a committed
 * transaction becomes one {@code TXN} message, nothing else of a transaction passes), then the time-tick
 * and type filters (which so judge a transaction by its {@code TXN} message). The transaction buffer lives
 * across mode switches: both modes read the same log.
 *
 * <p>Opened by the pchannel's {@code StreamingWal}; consumers see it only as a {@link MessageScanner}. Public for
 * it alone.
 */
public final class SwitchableScanner implements MessageScanner {
    private static final Duration BACKEND_WAIT = Duration.ofMillis(20);
    /** How many records a catch-up reads between checks whether the buffer already covers the rest. */
    private static final int SWITCH_CHECK_EVERY = 256;

    private final Wal wal;
    private final WriteAheadBuffer buffer;
    private final ReadOptions options;
    private final TxnBuffer txns = new TxnBuffer();
    private final Consumer<SwitchableScanner> onClose;
    private final ScannerReads reads;
    private volatile WalScanner backend;
    private long seq = -1;
    /** Where to resume in the backend: the start, then right after the last persisted message consumed. */
    private DeliverPolicy resume;
    private MessageId lastId;
    private int sinceSwitchCheck;
    private volatile boolean closed;

    /**
     * @param lastPersisted the id of the last persisted message when the scanner opens (where a
     *                      LATEST scanner resumes in the backend if it falls behind)
     */
    public SwitchableScanner(Wal wal, WriteAheadBuffer buffer, ReadOptions options, MessageId lastPersisted,
                      Consumer<SwitchableScanner> onClose) {
        this(wal, buffer, options, lastPersisted, onClose, ScannerReads.NONE);
    }

    /** As above, telling {@code reads} where each message was read from (buffer or backend). */
    public SwitchableScanner(Wal wal, WriteAheadBuffer buffer, ReadOptions options, MessageId lastPersisted,
                      Consumer<SwitchableScanner> onClose, ScannerReads reads) {
        this.reads = reads;
        this.wal = wal;
        this.buffer = buffer;
        this.options = options;
        this.onClose = onClose;
        DeliverPolicy p = options.policy();
        this.resume = p;
        if (p instanceof DeliverPolicy.Latest) {
            seq = buffer.endSeq();
            resume = DeliverPolicy.startAfter(lastPersisted);
        } else if (p instanceof DeliverPolicy.StartFrom from) {
            seq = buffer.seqOf(from.id());
        } else if (p instanceof DeliverPolicy.StartAfter after) {
            seq = buffer.seqAfter(after.id());
            lastId = after.id();
        }
        if (seq < 0) {
            backend = wal.read(p);
        }
    }

    /** Whether it reads the backend now (catching up) rather than the write-ahead buffer (tailing). Any thread. */
    public boolean isCatchingUp() {
        return backend != null;
    }

    @Override
    public ImmutableMessage poll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw StreamingException.onShutdown("scanner of " + wal.pchannel() + " is closed");
            }
            long left = deadline - System.nanoTime();
            ImmutableMessage m = backend != null ? catchUp(left) : tail(left);
            if (m == null) {
                if (deadline - System.nanoTime() <= 0) {
                    return null;
                }
                continue;
            }
            if (!options.acceptsVchannel(m)) {
                continue;
            }
            ImmutableMessage delivered = txns.offer(m);
            if (delivered != null && options.accepts(delivered)) {
                return delivered;
            }
        }
    }

    private ImmutableMessage tail(long nanos) throws InterruptedException {
        WriteAheadBuffer.Entry e;
        try {
            e = buffer.poll(seq, nanos, () -> closed);
        } catch (WriteAheadBuffer.EvictedException evicted) {
            backend = wal.read(resume);
            return null;
        }
        if (e == null) {
            return null;
        }
        seq = e.seq() + 1;
        reads.read(true);
        if (e.persisted()) {
            consumed(e.message().id());
        }
        return e.message();
    }

    private ImmutableMessage catchUp(long nanos) throws InterruptedException {
        LogRecord r = backend.poll(Duration.ZERO);
        if ((r == null || ++sinceSwitchCheck >= SWITCH_CHECK_EVERY) && lastId != null && trySwitchToTail()) {
            return r == null ? null : delivered(r);
        }
        if (r == null) {
            r = backend.poll(nanos > BACKEND_WAIT.toNanos() ? BACKEND_WAIT : Duration.ofNanos(Math.max(nanos, 0)));
            if (r == null) {
                return null;
            }
        }
        return delivered(r);
    }

    /**
     * Switches to the buffer if it holds everything after the last consumed message. A record read
     * from the backend but not yet consumed is still returned by the caller; the buffer position then
     * starts after it.
     */
    private boolean trySwitchToTail() {
        sinceSwitchCheck = 0;
        long s = buffer.seqAfter(lastId);
        if (s < 0) {
            return false;
        }
        WalScanner b = backend;
        backend = null;
        b.close();
        seq = s;
        return true;
    }

    private ImmutableMessage delivered(LogRecord r) {
        reads.read(false);
        consumed(r.id());
        if (backend == null) {
            // switched while holding r: the buffer must continue after r, not after the id before it
            seq = buffer.seqAfter(r.id());
            if (seq < 0) {
                backend = wal.read(resume);
            }
        }
        return ImmutableMessage.decode(r.id(), r.payload());
    }

    private void consumed(MessageId id) {
        lastId = id;
        resume = DeliverPolicy.startAfter(id);
    }

    /** The transaction buffer's held bytes (for tests). */
    long txnHeldBytes() {
        return txns.heldBytes();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffer.wakeReaders();
        WalScanner b = backend;
        if (b != null) {
            b.close();
        }
        onClose.accept(this);
    }
}
