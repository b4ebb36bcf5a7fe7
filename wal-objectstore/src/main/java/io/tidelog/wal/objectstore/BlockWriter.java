package io.tidelog.wal.objectstore;

import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.wal.ByteBudget;
import io.tidelog.wal.objectstore.BlockFormat.Footer;
import io.tidelog.wal.objectstore.BlockFormat.Type;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The writer of one pchannel at one term: gathers appends into blocks and writes them as the {@link TermClaim}
 * protocol requires (positions given in order, each block written by conditional create, at most {@code W} PUTs in
 * flight at any of the positions it holds, acknowledgements in log order, a failed block failing every later one,
 * a segment sealed by its footer before the next one starts).
 *
 * <p><b>Threads.</b> Appenders copy their record into the block being gathered under {@link #lock}, which
 * guards only that block, the blocks waiting for the writer thread and the buffered byte count. Everything
 * else (positions, the blocks in flight, the segment being sealed) belongs to the writer thread, which
 * seals blocks, hands their PUTs to the I/O pool, takes the PUTs' results back from {@link #results} and
 * completes the appends' futures, in log order. The I/O threads only run a PUT and post its result.
 */
final class BlockWriter {
    private final String pchannel;
    private final long term;
    private final long writerId;
    private final ObjectStoreWalConfig config;
    private final ObjectStore store;
    private final ExecutorService io;
    private final LogSignal signal;
    private final NavigableMap<Long, Long> segments;
    private final Thread thread;

    // Guarded by lock.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private Gathering open;
    private final ArrayDeque<Gathering> full = new ArrayDeque<>();
    private final ByteBudget buffered;
    private StreamingException terminal;
    private boolean closing;
    private boolean crashed;

    /** Results of PUTs, posted by I/O threads, run by the writer thread. */
    private final ConcurrentLinkedQueue<Runnable> results = new ConcurrentLinkedQueue<>();

    // Owned by the writer thread.
    private long segment;
    private int nextBlock;
    private long segmentBytes;
    private long segmentStartNanos;
    private final List<Long> blockSizes = new ArrayList<>();
    private final ArrayDeque<Block> pending = new ArrayDeque<>();
    /**
     * Segments the writer moved past whose footers are not written yet (number to block sizes), sealed in order; no
     * block of a later segment is written before the footer of every earlier one.
     */
    private final java.util.TreeMap<Long, long[]> unsealed = new java.util.TreeMap<>();
    private boolean footerInFlight;
    /** Block PUTs submitted and not yet heard back from. */
    private int inFlight;
    private boolean failed;

    /** The position after the last block given a position, and the first one not yet acknowledged. */
    private volatile MessageId end;
    private volatile MessageId acknowledgedEnd;

    BlockWriter(String pchannel, long term, long writerId, ObjectStoreWalConfig config, ObjectStore store,
                ExecutorService io, LogSignal signal, long segment, NavigableMap<Long, Long> segments) {
        this.pchannel = pchannel;
        this.term = term;
        this.writerId = writerId;
        this.config = config;
        this.buffered = new ByteBudget(lock, pchannel, config.bufferMaxBytes(), ObjectStoreWalConfig.BUFFER_MAX_BYTES,
                config.appendTimeout(), "the object store");
        this.store = store;
        this.io = io;
        this.signal = signal;
        this.segments = segments;
        this.segment = segment;
        this.nextBlock = 1; // block 0 is the TERM block the open claimed
        this.blockSizes.add((long) BlockFormat.HEADER_BYTES);
        this.segmentBytes = BlockFormat.HEADER_BYTES;
        this.segmentStartNanos = System.nanoTime();
        segments.put(segment, segmentBytes);
        this.end = BlockFormat.id(segment, 1, 0);
        this.acknowledgedEnd = end;
        this.thread = new Thread(this::run, "wal-objectstore-" + pchannel);
        thread.setDaemon(true);
        thread.start();
    }

    /** The id after the last record given a position: nothing at or beyond it exists. */
    MessageId end() {
        return end;
    }

    /** The id of the first record not yet acknowledged (or {@link #end()}). */
    MessageId acknowledgedEnd() {
        return acknowledgedEnd;
    }

    CompletableFuture<MessageId> append(ByteBuffer record) {
        int length = record.remaining();
        if (length > config.maxRecordBytes()) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of " + length
                    + " bytes exceeds the limit of " + config.maxRecordBytes() + " bytes"));
        }
        int frame = BlockFormat.RECORD_HEADER_BYTES + length;
        int crc = BlockFormat.recordCrc(record);
        CompletableFuture<MessageId> f = new CompletableFuture<>();
        lock.lock();
        try {
            StreamingException refused = buffered.reserve(frame, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            if (open != null && !open.fits(frame, config.blockMaxBytes())) {
                full.add(open);
                open = null;
                wake.signal();
            }
            if (open == null) {
                open = new Gathering(frame, config.blockMaxBytes(), System.nanoTime() + config.flushInterval().toNanos());
                wake.signal();
            }
            open.add(record, crc, f);
        } finally {
            lock.unlock();
        }
        return f;
    }

    /** Why appends are not taken now, or null. Called under the lock. */
    private StreamingException refusal() {
        if (terminal != null) {
            return terminal;
        }
        return closing || crashed ? StreamingException.onShutdown("pchannel " + pchannel + " is closed") : null;
    }

    /** Writes everything accepted (each append acknowledged or failed), then stops the thread. */
    void close() {
        lock.lock();
        try {
            closing = true;
            wake.signal();
            buffered.wakeAll();
        } finally {
            lock.unlock();
        }
        Threads.joinUninterruptibly(thread);
    }

    /** As a crash would: stops at once; nothing more is written, futures not yet complete fail. */
    void crash() {
        lock.lock();
        try {
            crashed = true;
            wake.signal();
            buffered.wakeAll();
        } finally {
            lock.unlock();
        }
        Threads.joinUninterruptibly(thread);
        StreamingException e = StreamingException.onShutdown("pchannel " + pchannel + ": the process crashed");
        failGathered(e);
        for (Block b : pending) {
            b.fail(e);
        }
        pending.clear();
    }

    // ------------------------------------------------------------------ the writer thread

    private void run() {
        List<Gathering> taken = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (true) {
                    if (crashed) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (open != null && (closing || now - open.deadline >= 0)) {
                        full.add(open);
                        open = null;
                    }
                    if (!full.isEmpty() || !results.isEmpty()) {
                        break;
                    }
                    if (closing && open == null && pending.isEmpty() && !footerInFlight) {
                        return;
                    }
                    if (open != null) {
                        wake.awaitNanos(open.deadline - now);
                    } else {
                        wake.await();
                    }
                }
                taken.addAll(full);
                full.clear();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            Runnable r;
            while ((r = results.poll()) != null) {
                r.run();
            }
            for (Gathering g : taken) {
                place(g);
            }
            taken.clear();
            progress();
        }
    }

    /** Gives a gathered block its position (sealing the segment first when it is due). */
    private void place(Gathering g) {
        if (failed) {
            g.fail(currentTerminal());
            release(g.bytes());
            return;
        }
        long now = System.nanoTime();
        boolean due = segmentBytes >= config.segmentMaxBytes() || nextBlock >= config.segmentMaxBlocks()
                || now - segmentStartNanos >= config.segmentMaxAge().toNanos();
        if (due && nextBlock > 1) {
            unsealed.put(segment, blockSizes.stream().mapToLong(Long::longValue).toArray());
            blockSizes.clear();
            segment++;
            nextBlock = 0;
            segmentBytes = 0;
            segmentStartNanos = now;
        }
        byte[] bytes = g.seal(term, writerId);
        Block b = new Block(segment, nextBlock++, bytes, g.futures, g.bytes());
        blockSizes.add((long) bytes.length);
        segmentBytes += bytes.length;
        pending.add(b);
        end = BlockFormat.id(segment, nextBlock, 0);
    }

    /** The id of the first record of the oldest block not yet acknowledged, or {@link #end}. Writer thread. */
    private MessageId firstUnacknowledged() {
        Block head = pending.peek();
        return head == null ? end : BlockFormat.id(head.segment, head.number, 0);
    }

    /** Acknowledges the durable prefix, seals a finished segment and starts the PUTs the window allows. */
    private void progress() {
        while (!pending.isEmpty()) {
            Block head = pending.peek();
            if (head.state == Block.LANDED) {
                pending.poll();
                segments.merge(head.segment, (long) head.bytes.length, Long::sum);
                release(head.gatheredBytes);
                // Before the appenders learn of it: a reader from LATEST opened by an appender that saw its ack
                // must start after the acknowledged record.
                acknowledgedEnd = firstUnacknowledged();
                for (int i = 0; i < head.futures.size(); i++) {
                    head.futures.get(i).complete(BlockFormat.id(head.segment, head.number, i));
                }
            } else if (head.state == Block.FAILED) {
                StreamingException e = head.failure;
                becomeTerminal(e);
                for (Block b : pending) {
                    b.fail(e);
                    release(b.gatheredBytes);
                }
                pending.clear();
            } else {
                break;
            }
        }
        acknowledgedEnd = firstUnacknowledged();
        if (failed) {
            return;
        }
        long firstUnsealed = unsealed.isEmpty() ? Long.MAX_VALUE : unsealed.firstKey();
        if (firstUnsealed != Long.MAX_VALUE && !footerInFlight
                && (pending.isEmpty() || pending.peek().segment > firstUnsealed)) {
            writeFooter(firstUnsealed, unsealed.get(firstUnsealed));
        }
        // Up to W PUTs in flight at any positions of the blocks held: one slow PUT does not hold the others back
        // (acknowledgements still wait for it, in log order).
        for (Block b : pending) {
            if (inFlight >= config.flushParallelism() || b.segment > firstUnsealed) {
                break;
            }
            if (b.state == Block.WAITING) {
                b.state = Block.IN_FLIGHT;
                inFlight++;
                submit(() -> {
                    try {
                        boolean won = createWithRetries(WalLayout.block(pchannel, b.segment, b.number), b.bytes);
                        post(() -> {
                            inFlight--;
                            landed(b, won);
                        });
                    } catch (RuntimeException | Error e) { // whatever happens, the writer hears of it
                        post(() -> {
                            inFlight--;
                            putFailed(b, StreamingException.from(e));
                        });
                    }
                });
            }
        }
    }

    private void landed(Block b, boolean won) {
        if (won) {
            b.state = Block.LANDED;
            signal.changed();
        } else {
            putFailed(b, StreamingException.fenced("pchannel " + pchannel + ": block " + b.number + " of segment "
                    + b.segment + " was claimed by a writer of a newer term; term " + term + " is fenced"));
        }
    }

    /** A PUT failed: nothing more is written; blocks before it may still land and be acknowledged. */
    private void putFailed(Block b, StreamingException e) {
        b.state = Block.FAILED;
        b.failure = e;
        if (!failed) {
            becomeTerminal(e);
            for (Block w : pending) {
                if (w.state == Block.WAITING) {
                    w.state = Block.FAILED;
                    w.failure = e;
                }
            }
        }
    }

    private void writeFooter(long sealing, long[] sizes) {
        footerInFlight = true;
        byte[] footer = BlockFormat.footer(new Footer(term, writerId, sizes));
        submit(() -> {
            try {
                boolean won = createWithRetries(WalLayout.footer(pchannel, sealing), footer);
                post(() -> {
                    footerInFlight = false;
                    if (won) {
                        unsealed.remove(sealing);
                        signal.changed();
                    } else {
                        becomeTerminal(StreamingException.fenced("pchannel " + pchannel + ": segment " + sealing
                                + " was sealed by a writer of a newer term; term " + term + " is fenced"));
                        failPending();
                    }
                });
            } catch (RuntimeException | Error e) {
                post(() -> {
                    footerInFlight = false;
                    becomeTerminal(StreamingException.from(e));
                    failPending();
                });
            }
        });
    }

    private void failPending() {
        for (Block b : pending) {
            b.fail(terminal());
            release(b.gatheredBytes);
        }
        pending.clear();
    }

    private boolean createWithRetries(String key, byte[] bytes) {
        Backoff backoff = new Backoff(Duration.ofMillis(20), Duration.ofSeconds(2));
        for (int attempt = 0; ; attempt++) {
            try {
                return store.createIfAbsent(key, bytes);
            } catch (StreamingException e) {
                if (e.code() != ErrorCode.INNER || attempt >= config.putRetries() || isCrashed()) {
                    throw e;
                }
                LockSupport.parkNanos(backoff.nextNanos());
            }
        }
    }

    private void submit(Runnable task) {
        try {
            io.execute(task);
        } catch (RejectedExecutionException e) {
            post(() -> {
                becomeTerminal(StreamingException.onShutdown("pchannel " + pchannel + ": the backend is closed"));
                failPending();
            });
        }
    }

    private void post(Runnable result) {
        results.add(result);
        lock.lock();
        try {
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    private boolean isCrashed() {
        lock.lock();
        try {
            return crashed;
        } finally {
            lock.unlock();
        }
    }

    private StreamingException terminal() {
        lock.lock();
        try {
            return terminal;
        } finally {
            lock.unlock();
        }
    }

    private StreamingException currentTerminal() {
        StreamingException t = terminal();
        return t != null ? t : StreamingException.onShutdown("pchannel " + pchannel + " is closed");
    }

    /** From now on every append fails with {@code e}; what was gathered and not yet placed fails too. */
    private void becomeTerminal(StreamingException e) {
        failed = true;
        lock.lock();
        try {
            if (terminal == null) {
                terminal = e;
            }
        } finally {
            lock.unlock();
        }
        failGathered(terminal());
    }

    private void failGathered(StreamingException e) {
        List<Gathering> gathered = new ArrayList<>();
        lock.lock();
        try {
            if (open != null) {
                gathered.add(open);
                open = null;
            }
            gathered.addAll(full);
            full.clear();
        } finally {
            lock.unlock();
        }
        for (Gathering g : gathered) {
            g.fail(e);
            release(g.bytes());
        }
    }

    private void release(long bytes) {
        lock.lock();
        try {
            buffered.release(bytes);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ blocks

    /** Records being gathered into one block; guarded by the writer's lock until handed to the thread. */
    private static final class Gathering {
        private byte[] buf;
        private int size = BlockFormat.HEADER_BYTES;
        private final List<CompletableFuture<MessageId>> futures = new ArrayList<>();
        final long deadline;

        Gathering(int firstFrame, int blockMaxBytes, long deadline) {
            int want = BlockFormat.HEADER_BYTES + firstFrame;
            this.buf = new byte[Math.max(want, Math.min(blockMaxBytes + BlockFormat.HEADER_BYTES, 64 << 10))];
            this.deadline = deadline;
        }

        boolean fits(int frame, int blockMaxBytes) {
            return size - BlockFormat.HEADER_BYTES + frame <= blockMaxBytes;
        }

        void add(ByteBuffer record, int crc, CompletableFuture<MessageId> f) {
            int need = size + BlockFormat.RECORD_HEADER_BYTES + record.remaining();
            if (need > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(need, (int) Math.min(Integer.MAX_VALUE - 8, 2L * buf.length)));
            }
            size += BlockFormat.writeRecord(buf, size, record, crc);
            futures.add(f);
        }

        /** The block's bytes, header included. */
        byte[] seal(long term, long writer) {
            byte[] b = buf.length == size ? buf : Arrays.copyOf(buf, size);
            BlockFormat.writeHeader(b, Type.DATA, term, writer, futures.size());
            buf = null;
            return b;
        }

        /** Bytes counted against the buffer limit. */
        long bytes() {
            return size - BlockFormat.HEADER_BYTES;
        }

        void fail(StreamingException e) {
            for (CompletableFuture<MessageId> f : futures) {
                f.completeExceptionally(e);
            }
        }
    }

    /** A block with a position; owned by the writer thread. */
    private static final class Block {
        static final int WAITING = 0;
        static final int IN_FLIGHT = 1;
        static final int LANDED = 2;
        static final int FAILED = 3;

        final long segment;
        final int number;
        final byte[] bytes;
        final List<CompletableFuture<MessageId>> futures;
        final long gatheredBytes;
        int state = WAITING;
        StreamingException failure;

        Block(long segment, int number, byte[] bytes, List<CompletableFuture<MessageId>> futures, long gatheredBytes) {
            this.segment = segment;
            this.number = number;
            this.bytes = bytes;
            this.futures = futures;
            this.gatheredBytes = gatheredBytes;
        }

        void fail(StreamingException e) {
            for (CompletableFuture<MessageId> f : futures) {
                f.completeExceptionally(e);
            }
        }
    }
}
