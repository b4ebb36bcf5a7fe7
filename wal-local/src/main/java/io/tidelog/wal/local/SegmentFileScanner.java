package io.tidelog.wal.local;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Reads a pchannel's segments batch by batch, verifying every batch, up to the durable end; waits at
 * the end for the writer to publish more. Payloads are copied out of the read window, so records
 * stay valid after the next poll.
 */
final class SegmentFileScanner implements WalScanner {
    private static final int READ_AHEAD_BYTES = 1 << 20;

    private final SegmentLog log;
    private final Consumer<SegmentFileScanner> onClose;
    private final ArrayDeque<LogRecord> ready = new ArrayDeque<>();
    private Position next;
    private ReadAhead in;
    private long inSegment = -1;
    private StreamingException pendingError;
    private StreamingException failed;
    private volatile boolean closed;

    private SegmentFileScanner(SegmentLog log, Position start, Consumer<SegmentFileScanner> onClose) {
        this.log = log;
        this.next = start;
        this.onClose = onClose;
    }

    static SegmentFileScanner open(SegmentLog log, DeliverPolicy policy, Consumer<SegmentFileScanner> onClose) {
        if (policy instanceof DeliverPolicy.All) {
            return new SegmentFileScanner(log, new Position(log.firstIndex(), SegmentFormat.SEGMENT_HEADER_BYTES), onClose);
        }
        if (policy instanceof DeliverPolicy.Latest) {
            return new SegmentFileScanner(log, log.end(), onClose);
        }
        boolean after = policy instanceof DeliverPolicy.StartAfter;
        MessageId id = after ? ((DeliverPolicy.StartAfter) policy).id() : ((DeliverPolicy.StartFrom) policy).id();
        Position target = Position.of(id);
        SegmentFileScanner s = new SegmentFileScanner(log, locate(log, target), onClose);
        s.seek(target, after);
        return s;
    }

    /**
     * Reads the batch holding {@code target} now and drops the records before it (and it, for
     * start-after), so that an id naming no record fails at once. Damage in that batch is left for
     * {@link #poll} to report after the records before it.
     */
    private void seek(Position target, boolean after) {
        fill(log.end());
        while (!ready.isEmpty() && Position.of(ready.peek().id()).compareTo(target) < 0) {
            ready.poll();
        }
        boolean found = !ready.isEmpty() && Position.of(ready.peek().id()).equals(target);
        if (!found && pendingError == null) {
            throw noRecordAt(log, target);
        }
        if (found && after) {
            ready.poll();
        }
    }

    /** The position of the batch holding the record {@code target}. */
    private static Position locate(SegmentLog log, Position target) {
        Position end = log.end();
        if (target.segment() < log.firstIndex()) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + log.pchannel + ": " + target
                    + " was truncated; the oldest retained segment is " + log.firstIndex());
        }
        if (target.compareTo(end) >= 0) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + log.pchannel + ": " + target
                    + " lies beyond the end of the log (" + end + ")");
        }
        Segment seg = log.segment(target.segment());
        if (seg == null) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + log.pchannel + ": " + target + " was truncated");
        }
        try {
            long limit = target.segment() == end.segment() ? end.offset() : seg.capacity;
            long batch = seg.batchContaining(target.offset(), limit);
            if (batch < 0) {
                throw noRecordAt(log, target);
            }
            return new Position(target.segment(), batch);
        } catch (IOException e) {
            throw readFailure(log, target, e);
        }
    }

    private static StreamingException noRecordAt(SegmentLog log, Position p) {
        return StreamingException.invalidArgument("pchannel " + log.pchannel + ": no record starts at " + p);
    }

    @Override
    public LogRecord poll(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        while (true) {
            if (closed || log.isClosed()) {
                throw StreamingException.onShutdown("scanner of pchannel " + log.pchannel + " is closed");
            }
            if (failed != null) {
                throw failed;
            }
            LogRecord r = ready.poll();
            if (r != null) {
                return r;
            }
            if (pendingError != null) {
                failed = pendingError;
                throw failed;
            }
            Position end = log.end();
            if (next.equals(end)) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = log.awaitBeyond(next, nanos, () -> closed);
                continue;
            }
            try {
                fill(end);
            } catch (StreamingException e) {
                failed = e;
                throw e;
            }
        }
    }

    /** Reads the batch at {@link #next} (the log's end being {@code end}) into {@link #ready}. */
    private void fill(Position end) {
        while (ready.isEmpty() && pendingError == null && !next.equals(end)) {
            if (next.segment() < log.firstIndex()) {
                throw truncated();
            }
            Segment seg = log.segment(next.segment());
            if (seg == null) {
                throw truncated();
            }
            Batch b;
            try {
                long limit = next.segment() == end.segment() ? end.offset() : seg.capacity;
                if (in == null || inSegment != seg.index) {
                    in = new ReadAhead(seg.source, READ_AHEAD_BYTES);
                    inSegment = seg.index;
                }
                b = Batch.read(in, seg.index, next.offset(), limit);
            } catch (IOException e) {
                throw readFailure(log, next, e);
            }
            switch (b.kind) {
                case SEAL:
                    next = new Position(seg.index + 1, SegmentFormat.SEGMENT_HEADER_BYTES);
                    break;
                case RECORDS:
                    take(seg.index, b);
                    next = new Position(seg.index, next.offset() + b.length());
                    break;
                case CLEAN:
                    pendingError = StreamingException.corrupted("pchannel " + log.pchannel + ": a clean-shutdown marker at "
                            + next + " lies before the end of the log (" + end + ")");
                    break;
                default:
                    if (next.segment() < log.firstIndex()) {
                        throw truncated();
                    }
                    take(seg.index, b);
                    pendingError = StreamingException.corrupted("pchannel " + log.pchannel + ": damaged data at "
                            + new Position(seg.index, b.badPosition) + " (" + b.reason + ")");
                    break;
            }
        }
    }

    private void take(long segment, Batch b) {
        for (Batch.Entry e : b.entries) {
            Position p = new Position(segment, e.position());
            byte[] copy = new byte[e.payload().remaining()];
            e.payload().duplicate().get(copy);
            ready.add(new LogRecord(p.toId(), ByteBuffer.wrap(copy).asReadOnlyBuffer()));
        }
    }

    private StreamingException truncated() {
        return new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + log.pchannel + ": position " + next
                + " was truncated while the scanner read it (oldest retained segment: " + log.firstIndex() + ")");
    }

    private static StreamingException readFailure(SegmentLog log, Position at, IOException e) {
        if (at.segment() < log.firstIndex()) {
            return new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + log.pchannel + ": position " + at
                    + " was truncated while it was read", e);
        }
        if (log.isClosed()) {
            return StreamingException.onShutdown("pchannel " + log.pchannel + " is closed");
        }
        return StreamingException.inner("pchannel " + log.pchannel + ": read at " + at + " failed", e);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.wakeScanners();
        onClose.accept(this);
    }
}
