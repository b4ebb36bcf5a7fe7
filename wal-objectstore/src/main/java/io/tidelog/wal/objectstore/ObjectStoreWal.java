package io.tidelog.wal.objectstore;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.objectstore.WalLayout.SegmentListing;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * One pchannel's log on an object store: the {@link BlockWriter} of its term (read-write) and scanners. See
 * {@link TermClaim} for the layout's rules and the fencing protocol.
 */
final class ObjectStoreWal implements Wal {
    private final String pchannel;
    private final long term;
    private final AccessMode mode;
    private final ObjectStoreWalConfig config;
    private final ObjectStore store;
    private final ExecutorService io;
    private final LogSignal signal;
    private final BlockWriter writer;
    /** Retained segments (number to bytes), the one being written included; empty for a read-only log. */
    private final NavigableMap<Long, Long> segments;
    private final Set<ObjectStoreScanner> scanners = ConcurrentHashMap.newKeySet();
    private final Object truncation = new Object();
    private final Runnable onClose;
    private volatile boolean closed;

    ObjectStoreWal(String pchannel, long term, AccessMode mode, ObjectStoreWalConfig config, ObjectStore store,
                   ExecutorService io, LogSignal signal, BlockWriter writer, NavigableMap<Long, Long> segments,
                   Runnable onClose) {
        this.pchannel = pchannel;
        this.term = term;
        this.mode = mode;
        this.config = config;
        this.store = store;
        this.io = io;
        this.signal = signal;
        this.writer = writer;
        this.segments = segments;
        this.onClose = onClose;
    }

    @Override
    public String pchannel() {
        return pchannel;
    }

    @Override
    public long term() {
        return term;
    }

    @Override
    public AccessMode accessMode() {
        return mode;
    }

    @Override
    public int maxRecordBytes() {
        return config.maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        if (writer == null) {
            return CompletableFuture.failedFuture(readOnly());
        }
        if (closed) {
            return CompletableFuture.failedFuture(StreamingException.onShutdown("pchannel " + pchannel + " is closed"));
        }
        return writer.append(record);
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        if (closed) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
        long floor = Math.max(signal.floor(), TruncationMark.read(store, pchannel));
        MessageId start;
        if (policy instanceof DeliverPolicy.StartFrom from) {
            start = checkRetained(from.id(), floor);
        } else if (policy instanceof DeliverPolicy.StartAfter after) {
            MessageId id = checkRetained(after.id(), floor);
            start = BlockFormat.id(id.major(), BlockFormat.block(id), BlockFormat.index(id) + 1);
        } else if (policy == DeliverPolicy.latest()) {
            start = writer != null ? writer.acknowledgedEnd() : endFromListing();
        } else {
            // Truncation keeps every segment from the mark on: the log starts at the mark's segment.
            start = BlockFormat.id(floor, 0, 0);
        }
        ObjectStoreScanner[] holder = new ObjectStoreScanner[1];
        ObjectStoreScanner s = new ObjectStoreScanner(pchannel, store, io, signal, config, start,
                () -> scanners.remove(holder[0]));
        holder[0] = s;
        scanners.add(s);
        if (closed) {
            s.close();
        }
        return s;
    }

    private MessageId checkRetained(MessageId id, long floor) {
        if (id.major() < floor) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel + ": " + id
                    + " was truncated; the log starts at segment " + floor);
        }
        return id;
    }

    /** Where records that become durable from now on will be, seen from the store (no writer here). */
    private MessageId endFromListing() {
        long mark = TruncationMark.read(store, pchannel);
        long lastNumber = WalLayout.lastSegment(store, pchannel, mark);
        if (lastNumber < 0) {
            return BlockFormat.id(mark, 0, 0);
        }
        SegmentListing last = WalLayout.listSegment(store, pchannel, lastNumber);
        return last.footer ? BlockFormat.id(last.segment + 1, 0, 0) : BlockFormat.id(last.segment, last.firstAbsent(), 0);
    }

    @Override
    public void truncate(MessageId upTo) {
        if (writer == null) {
            throw readOnly();
        }
        if (closed) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
        MessageId end = writer.end();
        if (upTo.compareTo(end) > 0) {
            throw StreamingException.invalidArgument("pchannel " + pchannel + ": cannot truncate at " + upTo
                    + ", beyond the end of the log (" + end + ")");
        }
        long below = upTo.major();
        synchronized (truncation) {
            long from = Math.max(signal.floor(), TruncationMark.read(store, pchannel));
            if (below <= from) {
                return;
            }
            TruncationMark.write(store, pchannel, below);
            signal.truncatedBelow(below);
            for (long s = from; s < below; s++) {
                deleteSegment(s);
            }
        }
    }

    /** Deletes what is left of segments below the mark (a truncation a crash cut short). */
    void deleteBelowMark(java.util.Collection<Long> listed) {
        synchronized (truncation) {
            long mark = Math.max(signal.floor(), TruncationMark.read(store, pchannel));
            for (long s : listed) {
                if (s < mark) {
                    deleteSegment(s);
                }
            }
        }
    }

    private void deleteSegment(long s) {
        for (ObjectInfo o : store.list(WalLayout.segmentPrefix(pchannel, s))) {
            store.delete(o.key());
        }
        segments.remove(s);
    }

    /**
     * A read-write open claims block 0 of segment 0 in a new log, and truncation leaves the mark's segment in place,
     * so a log that was ever opened for writing holds its first retained segment.
     */
    @Override
    public boolean isNew() {
        return !WalLayout.exists(store, pchannel, TruncationMark.read(store, pchannel));
    }

    @Override
    public long retainedBytes() {
        if (writer == null) {
            return -1;
        }
        long sum = 0;
        for (Map.Entry<Long, Long> e : segments.entrySet()) {
            sum += e.getValue();
        }
        return sum;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            for (ObjectStoreScanner s : List.copyOf(scanners)) {
                s.close();
            }
            signal.changed();
            onClose.run();
        }
    }

    /** As a crash would: stops writing at once, without finishing what was accepted. */
    void crash() {
        closed = true;
        if (writer != null) {
            writer.crash();
        }
        for (ObjectStoreScanner s : List.copyOf(scanners)) {
            s.close();
        }
    }

    private StreamingException readOnly() {
        return new StreamingException(ErrorCode.READ_ONLY, "pchannel " + pchannel + " is open read-only");
    }
}
