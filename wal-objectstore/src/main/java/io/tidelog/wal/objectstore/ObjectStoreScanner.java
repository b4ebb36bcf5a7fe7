package io.tidelog.wal.objectstore;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.objectstore.BlockFormat.Footer;
import io.tidelog.wal.objectstore.BlockFormat.Header;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Reads a pchannel's blocks in position order: a segment's blocks up to its first fence block or its footer's
 * end, then the next segment. A position with no block yet is waited for (it may be in flight); nothing after
 * it is delivered before it. Blocks ahead are fetched in parallel, with ranged GETs of the sizes the footer
 * gives when the segment is sealed. Records failing their checksum end the scan with {@code DATA_CORRUPTED}
 * naming their id, after the good records before them.
 *
 * <p>Used by one thread at a time; {@link #close} from any thread.
 */
final class ObjectStoreScanner implements WalScanner {
    /** How often a waiting scanner looks for a truncation made by another process. */
    private static final long TRUNCATION_CHECK_NANOS = Duration.ofSeconds(1).toNanos();

    private final String pchannel;
    private final ObjectStore store;
    private final ExecutorService io;
    private final LogSignal signal;
    private final ObjectStoreWalConfig config;
    private final Runnable onClose;

    private long segment;
    private int block;
    /** Records of the current block with an index below this are skipped (a start inside a block). */
    private int skipBelow;
    private Footer footer;
    private final ArrayDeque<LogRecord> ready = new ArrayDeque<>();
    private StreamingException afterReady;
    private StreamingException failure;
    private final Map<Integer, CompletableFuture<Optional<byte[]>>> ahead = new HashMap<>();
    private long lastTruncationCheck = System.nanoTime();
    /** How long the next wait for a block of another process is: doubles while nothing is found. */
    private long idleWaitNanos;
    private volatile boolean closed;

    ObjectStoreScanner(String pchannel, ObjectStore store, ExecutorService io, LogSignal signal,
                       ObjectStoreWalConfig config, MessageId start, Runnable onClose) {
        this.pchannel = pchannel;
        this.store = store;
        this.io = io;
        this.signal = signal;
        this.config = config;
        this.onClose = onClose;
        this.idleWaitNanos = config.readPollInterval().toNanos();
        this.segment = start.major();
        this.block = BlockFormat.block(start);
        this.skipBelow = BlockFormat.index(start);
    }

    @Override
    public LogRecord poll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw StreamingException.onShutdown("scanner of pchannel " + pchannel + " is closed");
            }
            if (failure != null) {
                throw failure;
            }
            if (!ready.isEmpty()) {
                return ready.poll();
            }
            if (afterReady != null) {
                failure = afterReady;
                throw failure;
            }
            long seen = signal.version();
            try {
                if (step()) {
                    idleWaitNanos = config.readPollInterval().toNanos();
                    continue;
                }
            } catch (StreamingException e) {
                failure = e;
                throw e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            // Nothing new: wait for a block of this process (the signal) or, doubling while idle, look again.
            long waited = Math.min(left, idleWaitNanos);
            if (!signal.await(seen, waited) && waited == idleWaitNanos) {
                idleWaitNanos = Math.min(idleWaitNanos * 2, config.readPollMaxInterval().toNanos());
            }
        }
    }

    /** Moves by one position if it can; false if the position has no block yet. */
    private boolean step() {
        if (segment < signal.floor()) {
            throw outOfRange();
        }
        if (footer != null && block >= footer.end()) {
            nextSegment();
            return true;
        }
        Optional<byte[]> bytes = fetch(block);
        if (bytes.isEmpty()) {
            if (footer == null) {
                footer = readFooter();
                if (footer != null) {
                    return true;
                }
            } else {
                throw missing();
            }
            checkTruncatedElsewhere();
            return false;
        }
        String where = "pchannel " + pchannel + " " + WalLayout.block(pchannel, segment, block);
        Header header = BlockFormat.header(bytes.get(), where);
        switch (header.type()) {
            case FENCE -> {
                nextSegment();
                return true;
            }
            case TERM -> {
                block++;
                skipBelow = 0;
                return true;
            }
            default -> {
                int first = skipBelow;
                long s = segment;
                int b = block;
                try {
                    BlockFormat.records(bytes.get(), pchannel, s, b, header.count(), (i, payload) -> {
                        if (i >= first) {
                            ready.add(new LogRecord(BlockFormat.id(s, b, i), payload));
                        }
                    });
                } catch (StreamingException e) {
                    afterReady = e;
                }
                block++;
                skipBelow = 0;
                fetchAhead();
                return true;
            }
        }
    }

    private void nextSegment() {
        segment++;
        block = 0;
        skipBelow = 0;
        footer = null;
        cancelAhead();
    }

    private Optional<byte[]> fetch(int b) {
        CompletableFuture<Optional<byte[]>> f = ahead.remove(b);
        if (f != null) {
            try {
                Optional<byte[]> got = f.join();
                if (got.isPresent()) {
                    return got;
                }
            } catch (CompletionException e) {
                throw StreamingException.from(e.getCause());
            }
        }
        return read(segment, b);
    }

    private Optional<byte[]> read(long s, int b) {
        String key = WalLayout.block(pchannel, s, b);
        if (footer != null && b < footer.end()) {
            long size = footer.blockSizes()[b];
            if (size > 0 && size <= Integer.MAX_VALUE) {
                try {
                    return Optional.of(store.getRange(key, 0, (int) size));
                } catch (StreamingException e) {
                    if (e.code() == ErrorCode.NOT_FOUND) {
                        return Optional.empty();
                    }
                    throw e;
                }
            }
        }
        return store.get(key);
    }

    /** Starts fetching the next blocks of the segment, up to the read-ahead. */
    private void fetchAhead() {
        int limit = footer != null ? footer.end() : Integer.MAX_VALUE;
        long s = segment;
        for (int b = block; b < block + config.readAheadBlocks() && b < limit; b++) {
            if (!ahead.containsKey(b)) {
                int position = b;
                try {
                    ahead.put(b, CompletableFuture.supplyAsync(() -> read(s, position), io));
                } catch (RejectedExecutionException e) {
                    return;
                }
            }
        }
        ahead.keySet().removeIf(k -> k < block);
    }

    private void cancelAhead() {
        for (CompletableFuture<Optional<byte[]>> f : ahead.values()) {
            f.cancel(false);
        }
        ahead.clear();
    }

    private Footer readFooter() {
        String key = WalLayout.footer(pchannel, segment);
        Optional<byte[]> bytes = store.get(key);
        return bytes.map(b -> BlockFormat.footer(b, "pchannel " + pchannel + " " + key)).orElse(null);
    }

    /** A waiting scanner now and then reads the truncation mark another process may have moved. */
    private void checkTruncatedElsewhere() {
        long now = System.nanoTime();
        if (now - lastTruncationCheck < TRUNCATION_CHECK_NANOS) {
            return;
        }
        lastTruncationCheck = now;
        if (segment < TruncationMark.read(store, pchannel)) {
            throw outOfRange();
        }
    }

    private StreamingException missing() {
        if (segment < signal.floor() || segment < TruncationMark.read(store, pchannel)) {
            return outOfRange();
        }
        return StreamingException.corrupted("pchannel " + pchannel + ": block " + block + " of sealed segment "
                + segment + " is missing (first record id " + BlockFormat.id(segment, block, 0) + ")");
    }

    private StreamingException outOfRange() {
        return new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel + ": segment " + segment
                + " was truncated");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true; // fetches ahead finish on their own; their results are dropped with the scanner
            signal.changed();
            onClose.run();
        }
    }
}
