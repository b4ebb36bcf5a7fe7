package io.tidelog.wal.local;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.ByteBudget;
import io.tidelog.wal.Wal;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for one pchannel writer: appenders copy their record frames into the open batch; the
 * writer thread takes whatever has gathered, writes it with one write and one fdatasync, and only then
 * completes the appenders' futures. While one batch syncs, the next fills: the batch size follows the
 * load, with no timer.
 *
 * <p>Failures: a batch refused by a full disk ({@code RESOURCE_EXHAUSTED}: nothing of it is in the log)
 * fails alone, and the next batch tries again, so appends succeed again as soon as there is room. Any
 * other failure (fenced, closed, a write or sync of unknown outcome) fails the batch and everything
 * queued, and every later append with it: the writer is terminal, and the pchannel must be reopened.
 *
 * <p>Threads: appenders on any thread; two writer threads ({@code wal-local-writer-<pchannel>-t<term>-0} and
 * {@code -1}) that take turns: the one holding the write role ({@code writing}, asserted) takes the next batch, writes
 * and syncs it, and is the only thread writing this pchannel's files for this term meanwhile; it hands the role on,
 * then completes the batch's futures, while the other writes the next batch. Completing a batch wakes its appenders,
 * which on one thread took a third as long as the writes and syncs themselves (bench wal-throughput, 1 KiB records
 * in runs of 64): with one thread the disk idled meanwhile. Batches are written in order, and a batch is written only
 * after the one before it is durable, so a future may complete before an earlier batch's, never before that batch is
 * durable. Futures complete on the writer thread that wrote their batch.
 */
final class GroupCommitWriter implements AutoCloseable {
    private final SegmentLog log;
    private final long term;
    private final LocalWalConfig config;
    private final Thread[] threads = new Thread[2];
    /** Held by the writer thread that takes, writes and syncs a batch, while the other completes the last one. */
    private final ReentrantLock writing = new ReentrantLock();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition hasWork = lock.newCondition();
    private final ByteBudget queued;
    private final ArrayDeque<PendingBatch> full = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> spareBuffers = new ArrayDeque<>();
    /** One buffer kept for a run larger than a standard batch (a produce request just over the batch size). */
    private ByteBuffer spareLarge;
    private PendingBatch open;
    private StreamingException terminal;
    private boolean closing;
    private boolean abandoned;

    /**
     * Records gathered for one write; its buffer has room for the batch header at 0. Each appender waits for its
     * records, one ({@link #add}) or a run of them ({@link #reserveAll}, {@link #copyAll}).
     */
    private static final class PendingBatch {
        final ByteBuffer buffer;
        final List<Waiter> waiters = new ArrayList<>();
        int[] offsets = new int[64];
        int records;
        int bytes;
        /** Where the batch was written, once durable. */
        Position at;
        /** Runs reserved and not yet copied; {@link #copyAll}. */
        final AtomicInteger copying = new AtomicInteger();
        /** The writer thread waiting for the copies, if one waits. */
        volatile Thread writerWaiting;
        volatile RuntimeException poisoned;

        PendingBatch(ByteBuffer buffer) {
            this.buffer = buffer;
            buffer.clear().position(SegmentFormat.BATCH_HEADER_BYTES);
        }

        /** Notes that the next record starts at {@code at}. */
        private void startRecord(int at) {
            if (records == offsets.length) {
                offsets = java.util.Arrays.copyOf(offsets, offsets.length * 2);
            }
            offsets[records++] = at;
        }

        void add(ByteBuffer payload, int crc, CompletableFuture<MessageId> f) {
            waiters.add(new Waiter(records, 1, f, null));
            startRecord(buffer.position());
            SegmentFormat.putRecord(buffer, payload, crc);
            bytes += SegmentFormat.RECORD_HEADER_BYTES + payload.remaining();
        }

        /**
         * Reserves the room of the run's records, in order, after everything reserved before; {@link #copyAll}
         * fills it. Under the writer's lock.
         *
         * @return where the run starts in the buffer
         */
        int reserveAll(Wal.RecordBatch run, int frames, CompletableFuture<MessageId[]> f) {
            waiters.add(new Waiter(records, run.count(), null, f));
            int start = buffer.position();
            int at = start;
            for (int i = 0; i < run.count(); i++) {
                startRecord(at);
                at += SegmentFormat.RECORD_HEADER_BYTES + run.size(i);
            }
            buffer.position(at);
            bytes += frames;
            copying.incrementAndGet();
            return start;
        }

        /**
         * Writes the run's records into the room {@link #reserveAll} gave them, each framed and checksummed where it
         * lies. By the appender, outside the lock, so appenders copy in parallel and the writer never waits for a
         * copy to take the next batch, only for the copies into that batch to end. A run that fails to write
         * itself poisons the batch: none of its records is written, and all fail with {@code INVALID_ARGUMENT}
         * (nothing written; the writer goes on).
         */
        void copyAll(Wal.RecordBatch run, int start) {
            try {
                ByteBuffer dst = buffer.duplicate().position(start);
                for (int i = 0; i < run.count(); i++) {
                    SegmentFormat.putRecord(dst, run, i);
                }
            } catch (RuntimeException e) {
                poisoned = e;
            } finally {
                if (copying.decrementAndGet() == 0) {
                    Thread writer = writerWaiting;
                    if (writer != null) {
                        LockSupport.unpark(writer);
                    }
                }
            }
        }

        /** Returns once every reserved run is copied. By the writer thread, which holds the batch alone then. */
        void awaitCopies() {
            if (copying.get() == 0) {
                return;
            }
            writerWaiting = Thread.currentThread();
            while (copying.get() > 0) {
                LockSupport.parkNanos(this, 100_000);
            }
        }

        boolean fits(int frameBytes) {
            return buffer.remaining() >= frameBytes + SegmentFormat.ALIGNMENT;
        }

        void completeAll(Position at) {
            for (Waiter w : waiters) {
                if (w.one != null) {
                    w.one.complete(MessageId.of(at.segment(), at.offset() + offsets[w.first]));
                } else {
                    MessageId[] ids = new MessageId[w.count];
                    for (int i = 0; i < w.count; i++) {
                        ids[i] = MessageId.of(at.segment(), at.offset() + offsets[w.first + i]);
                    }
                    w.many.complete(ids);
                }
            }
        }

        void failAll(StreamingException e) {
            for (Waiter w : waiters) {
                if (w.one != null) {
                    w.one.completeExceptionally(e);
                } else {
                    w.many.completeExceptionally(e);
                }
            }
        }
    }

    /** Records {@code first .. first + count - 1} of a batch, and who waits for them. */
    private record Waiter(int first, int count, CompletableFuture<MessageId> one, CompletableFuture<MessageId[]> many) {
    }

    GroupCommitWriter(SegmentLog log, long term, LocalWalConfig config) {
        this.log = log;
        this.term = term;
        this.config = config;
        this.queued = new ByteBudget(lock, log.pchannel, config.queueMaxBytes(), LocalWalConfig.QUEUE_MAX_BYTES,
                config.appendTimeout(), "the disk");
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(this::run, "wal-local-writer-" + log.pchannel + "-t" + term + "-" + i);
            threads[i].setDaemon(true);
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    CompletableFuture<MessageId> append(ByteBuffer record) {
        int length = record.remaining();
        if (length > config.maxRecordBytes()) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of " + length
                    + " bytes exceeds the limit of " + config.maxRecordBytes() + " bytes"));
        }
        int frame = SegmentFormat.RECORD_HEADER_BYTES + length;
        int crc = SegmentFormat.recordCrc(length, record);
        CompletableFuture<MessageId> f = new CompletableFuture<>();
        lock.lock();
        try {
            StreamingException refused = queued.reserve(frame, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            if (open == null || !open.fits(frame)) {
                if (open != null) {
                    full.add(open);
                }
                open = new PendingBatch(bufferFor(frame));
            }
            open.add(record, crc, f);
            hasWork.signal();
        } finally {
            lock.unlock();
        }
        return f;
    }

    /**
     * Appends a run of records as one unit: they go into one batch, written by one write and one fdatasync, so they
     * are durable together or not at all. Each is serialized straight into the batch's buffer.
     *
     * @param mayWait whether to wait for room in the queue; if not, and there is none now, returns null (nothing done)
     */
    CompletableFuture<MessageId[]> appendAll(Wal.RecordBatch run, boolean mayWait) {
        int frames = 0;
        for (int i = 0; i < run.count(); i++) {
            int length = run.size(i);
            if (length > config.maxRecordBytes()) {
                return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of " + length
                        + " bytes exceeds the limit of " + config.maxRecordBytes() + " bytes"));
            }
            frames += SegmentFormat.RECORD_HEADER_BYTES + length;
        }
        CompletableFuture<MessageId[]> f = new CompletableFuture<>();
        PendingBatch into;
        int start;
        lock.lock();
        try {
            if (!mayWait && !queued.fitsNow(frames) && refusal() == null) {
                return null;
            }
            StreamingException refused = queued.reserve(frames, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            if (open == null || !open.fits(frames)) {
                if (open != null) {
                    full.add(open);
                }
                open = new PendingBatch(bufferFor(frames));
            }
            into = open;
            start = open.reserveAll(run, frames, f);
            if (open.buffer.capacity() > standardCapacity()) {
                full.add(open); // a run over the batch size is a batch of its own
                open = null;
            }
            hasWork.signal();
        } finally {
            lock.unlock();
        }
        into.copyAll(run, start);
        return f;
    }

    /** Why appends are not taken now, or null. Called under the lock. */
    private StreamingException refusal() {
        if (terminal != null) {
            return terminal;
        }
        return closing || abandoned ? StreamingException.onShutdown("pchannel " + log.pchannel + " is closed") : null;
    }

    /** A buffer for a new batch whose first record (or run of records) has {@code frame} bytes. Under the lock. */
    private ByteBuffer bufferFor(int frame) {
        int needed = SegmentFormat.batchBytes(frame) + SegmentFormat.ALIGNMENT;
        int standard = standardCapacity();
        if (needed > standard) {
            ByteBuffer large = spareLarge;
            if (large != null && large.capacity() >= needed) {
                spareLarge = null;
                return large;
            }
            // Runs just over the batch size are common (a produce request of 1 MiB of payloads and its framing):
            // one buffer of twice the size, kept, serves them all.
            return ByteBuffer.allocateDirect(Math.max(needed, 2 * standard));
        }
        ByteBuffer b = spareBuffers.poll();
        return b != null ? b : ByteBuffer.allocateDirect(standard);
    }

    private int standardCapacity() {
        return SegmentFormat.BATCH_HEADER_BYTES + config.batchMaxBytes() + SegmentFormat.ALIGNMENT;
    }

    private void run() {
        while (true) {
            PendingBatch batch;
            writing.lock();
            try {
                batch = next();
                if (batch == null) {
                    return;
                }
                if (!writeAndSync(batch)) {
                    continue; // failed: its futures failed under the role, so that no later batch is written first
                }
            } finally {
                writing.unlock();
            }
            // The buffer first: the appenders the completions wake append again at once, and should find it.
            recycle(batch);
            batch.completeAll(batch.at);
        }
    }

    /** The next batch to write, waiting for one; null once the thread is to end. Holding the write role. */
    private PendingBatch next() {
        lock.lock();
        try {
            while (full.isEmpty() && open == null && !closing && !abandoned) {
                hasWork.awaitUninterruptibly();
            }
            if (abandoned) {
                hasWork.signalAll(); // the other writer thread ends too
                return null;
            }
            if (!full.isEmpty()) {
                return full.poll();
            } else if (open != null) {
                PendingBatch b = open;
                open = null;
                return b;
            }
            hasWork.signalAll();
            return null; // closing, and everything accepted was written
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes and syncs the batch, holding the write role. Returns true if it is durable (its position noted for
     * the completion); otherwise its futures have failed, and so, after a failure of unknown outcome, has every later
     * append (the writer turned terminal before it hands the role on).
     */
    private boolean writeAndSync(PendingBatch batch) {
        assert writing.isHeldByCurrentThread() : "only the writer thread holding the role writes the pchannel";
        ByteBuffer b = batch.buffer;
        batch.awaitCopies();
        StreamingException failure;
        if (batch.poisoned != null) {
            failure = new StreamingException(ErrorCode.INVALID_ARGUMENT, "pchannel " + log.pchannel + ": a run of"
                    + " records did not write what it announced (" + batch.poisoned.getMessage() + "); none of the "
                    + batch.records + " records of its batch was written", batch.poisoned);
        } else {
            try {
                batch.at = log.writeBatch(term, b, batch.records);
                return true;
            } catch (StreamingException e) {
                failure = e;
            }
        }
        batch.failAll(failure);
        if (batch.poisoned == null && failure.code() != ErrorCode.RESOURCE_EXHAUSTED) {
            becomeTerminal(failure);
        }
        recycle(batch);
        return false;
    }

    /** Gives the batch's bytes back to the queue's budget and keeps its buffer for reuse. */
    private void recycle(PendingBatch batch) {
        ByteBuffer b = batch.buffer;
        lock.lock();
        try {
            queued.release(batch.bytes);
            if (b.capacity() == standardCapacity() && spareBuffers.size() < 4) {
                spareBuffers.add(b);
            } else if (b.capacity() > standardCapacity() && b.capacity() <= 2 * standardCapacity()
                    && (spareLarge == null || spareLarge.capacity() < b.capacity())) {
                spareLarge = b;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Every later append, and everything still queued, fails with {@code e}. */
    private void becomeTerminal(StreamingException e) {
        List<PendingBatch> dropped = new ArrayList<>();
        lock.lock();
        try {
            if (terminal == null) {
                terminal = e;
            }
            dropped.addAll(full);
            full.clear();
            if (open != null) {
                dropped.add(open);
                open = null;
            }
            queued.releaseAll();
        } finally {
            lock.unlock();
        }
        dropped.forEach(d -> d.failAll(e));
    }

    /** The reason appends fail from now on, or null while the writer works. */
    StreamingException terminal() {
        lock.lock();
        try {
            return terminal;
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting appends, writes everything accepted, and stops the thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            hasWork.signal();
        } finally {
            lock.unlock();
        }
        join();
    }

    /**
     * A simulated crash: the thread stops after the batch it is writing; everything still queued is
     * dropped and its futures fail with {@code ON_SHUTDOWN}.
     */
    void abandon() {
        List<PendingBatch> dropped = new ArrayList<>();
        lock.lock();
        try {
            abandoned = true;
            dropped.addAll(full);
            full.clear();
            if (open != null) {
                dropped.add(open);
                open = null;
            }
            hasWork.signal();
            queued.wakeAll();
        } finally {
            lock.unlock();
        }
        StreamingException crash = StreamingException.onShutdown("simulated crash");
        dropped.forEach(d -> d.failAll(crash));
        join();
    }

    private void join() {
        for (Thread t : threads) {
            if (Thread.currentThread() == t) {
                return;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        try {
            for (Thread t : threads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
