package io.tidelog.meta.embedded;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's single writer thread: the only thread that changes {@link KvState}. Callers queue their
 * writes and wait; the writer takes everything queued (up to {@link #MAX_BATCH}), applies it in queue
 * order under the write lock, makes the batch durable with one commit and one fsync
 * ({@link KvState#commitBatch}), and only then completes the callers and wakes the watch dispatcher.
 * Between batches, and at least every lease check interval, it revokes expired leases; it is the
 * store's lease timer too.
 *
 * <pre>
 *  callers ──submit──▶ queue ──▶ writer: apply r1..rn ▶ commit ▶ fsync ▶ publish revision ▶ complete r1..rn
 *                                                                        └──▶ wake watch dispatcher
 * </pre>
 *
 * <p>Doing the I/O on its own thread also keeps callers' interrupts away from the file channel
 * (an interrupted {@code FileChannel} closes, which would take the whole store down).
 *
 * <p>A request that fails validation ({@code INVALID_ARGUMENT}) fails alone and changes nothing. Any
 * other failure while applying or committing a batch (a full disk) reopens the file at its last committed
 * chunk before any reader may look ({@link KvState#reopen}, under the write lock), so nothing of the
 * batch is ever visible unless it is in the file. The batch's requests fail with
 * {@code RESOURCE_EXHAUSTED} naming the disk if the disk was full and the file does not hold the batch,
 * otherwise with {@code INNER} (outcome unknown). Later requests are served as before: once there is room,
 * writes succeed again. If the file cannot be opened again, every call fails with that reason, and the
 * writer tries again before its next batch, at most every {@value #REOPEN_PAUSE_MILLIS} ms.
 */
final class GroupCommitWriter implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    static final int MAX_BATCH = 256;
    static final long REOPEN_PAUSE_MILLIS = 1000;

    /** A queued write: the change to apply, and the caller's result once the batch is durable. */
    private static final class Request<T> {
        final Function<KvState, T> change;
        final CompletableFuture<T> done = new CompletableFuture<>();
        T result;
        StreamingException failure;

        Request(Function<KvState, T> change) {
            this.change = change;
        }

        void apply(KvState state) {
            try {
                result = change.apply(state);
            } catch (StreamingException e) {
                if (e.code() != ErrorCode.INVALID_ARGUMENT) {
                    throw e;
                }
                failure = e;
            }
        }

        void complete() {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else {
                done.complete(result);
            }
        }
    }

    private static final Request<Void> STOP = new Request<>(s -> null);
    private static final Request<Void> CRASH = new Request<>(s -> null);

    private final KvState state;
    private final Path dir;
    private final LeaseTable leases;
    private final ReadWriteLock lock;
    private final WatchDispatcher dispatcher;
    private final long leaseCheckNanos;
    private final LinkedBlockingQueue<Request<?>> queue = new LinkedBlockingQueue<>();
    private final Object lifecycle = new Object();
    private final Thread thread;
    /** Null while requests are accepted; else why they are refused (closed, or a writer that died). */
    private volatile StreamingException refusal;
    /** Null while the file is open; else why it could not be opened again. Set by the writer thread. */
    private volatile StreamingException down;
    /** Writer thread: when the next attempt to open the file again may be made (System.nanoTime). */
    private long nextReopenNanos;

    GroupCommitWriter(KvState state, Path dir, LeaseTable leases, ReadWriteLock lock, WatchDispatcher dispatcher,
                      long leaseCheckNanos) {
        this.state = state;
        this.dir = dir;
        this.leases = leases;
        this.lock = lock;
        this.dispatcher = dispatcher;
        this.leaseCheckNanos = leaseCheckNanos;
        this.thread = new Thread(this, "tidelog-meta-writer");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Throws why requests are refused, if they are: {@code ON_SHUTDOWN} after close, the reason the file
     * could not be opened again while it cannot, {@code UNRECOVERABLE} after the writer died.
     */
    void checkAccepting() {
        checkNotClosed();
        StreamingException d = down;
        if (d != null) {
            throw new StreamingException(d.code(), d.detail(), d.getCause());
        }
    }

    private void checkNotClosed() {
        StreamingException r = refusal;
        if (r != null) {
            throw new StreamingException(r.code(), r.detail(), r.getCause());
        }
    }

    /** Queues a change and waits, uninterruptibly, until its batch is durable; returns its result. */
    <T> T submit(Function<KvState, T> change) {
        Request<T> r = new Request<>(change);
        synchronized (lifecycle) {
            checkNotClosed(); // while the file is down the request is queued: the writer tries to reopen first
            queue.add(r);
        }
        try {
            return r.done.join();
        } catch (CompletionException e) {
            StreamingException cause = StreamingException.from(e.getCause());
            throw new StreamingException(cause.code(), cause.detail(), cause);
        }
    }

    /**
     * Stops accepting and waits for the writer to end. Clean: requests queued before finish normally.
     * Crash: they fail with {@code ON_SHUTDOWN} without being applied, as if the process had died.
     */
    void stop(boolean crash) {
        synchronized (lifecycle) {
            if (refusal == null) {
                refusal = StreamingException.onShutdown("the meta store is closed");
            }
            queue.add(crash ? CRASH : STOP);
        }
        Threads.joinUninterruptibly(thread);
    }

    @Override
    public void run() {
        List<Request<?>> batch = new ArrayList<>();
        try {
            while (true) {
                batch.clear();
                Request<?> first = queue.poll(leaseCheckNanos, TimeUnit.NANOSECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, MAX_BATCH - 1);
                }
                if (batch.contains(CRASH)) {
                    batch.forEach(r -> r.done.completeExceptionally(StreamingException.onShutdown("the meta store crashed")));
                    return;
                }
                int stop = batch.indexOf(STOP);
                if (stop >= 0) {
                    writeBatch(batch.subList(0, stop));
                    return;
                }
                if (!state.isOpen() && !reopen()) {
                    StreamingException d = down;
                    batch.forEach(r -> r.done.completeExceptionally(d));
                    continue;
                }
                for (long lease : leases.expired()) {
                    batch.add(new Request<>(s -> s.revokeLease(lease, true)));
                }
                writeBatch(batch);
            }
        } catch (InterruptedException e) {
            fail(batch, e);
        } catch (Throwable t) {
            fail(batch, t);
        }
    }

    private void writeBatch(List<Request<?>> batch) {
        if (batch.isEmpty() || !state.isOpen()) {
            batch.forEach(r -> r.done.completeExceptionally(StreamingException.onShutdown("the meta store is closed")));
            return;
        }
        StreamingException failed = null;
        lock.writeLock().lock();
        try {
            for (Request<?> r : batch) {
                r.apply(state);
            }
            state.commitBatch();
        } catch (RuntimeException e) {
            failed = recover(batch.size(), e);
        } finally {
            lock.writeLock().unlock();
        }
        if (failed != null) {
            StreamingException f = failed;
            batch.forEach(r -> r.done.completeExceptionally(f));
            dispatcher.wake();
            return;
        }
        batch.forEach(Request::complete);
        dispatcher.wake();
        housekeeping();
    }

    private void housekeeping() {
        lock.writeLock().lock();
        try {
            state.housekeeping();
        } catch (RuntimeException e) {
            recover(0, e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * A batch of {@code requests} failed to apply or commit: opens the file again (under the write lock, so no
     * reader sees what the batch changed in memory) and returns what its requests fail with.
     */
    private StreamingException recover(int requests, RuntimeException cause) {
        boolean full = DiskSpace.isNoSpace(cause, dir);
        String what = "meta store " + dir + ": a commit of " + requests + " writes failed";
        boolean landed;
        try {
            landed = state.reopen();
            down = null;
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            down = StreamingException.from(e);
            nextReopenNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REOPEN_PAUSE_MILLIS);
            LOG.error("{}, and the file cannot be opened again ({}); every call fails until it can", what,
                    e.getMessage(), cause);
            return StreamingException.inner(what + " and the store could not be reopened; the outcome is unknown: "
                    + cause.getMessage(), cause);
        }
        LOG.warn("{} ({}); the file was opened again at its last commit{}", what, cause.getMessage(),
                landed ? ", which holds the batch" : "");
        if (full && !landed) {
            return DiskSpace.exhausted(what, dir, cause);
        }
        return StreamingException.inner(what + (full ? " (" + DiskSpace.describeFull(dir) + ")" : "")
                + "; the outcome is unknown: " + cause.getMessage(), cause);
    }

    /** Opens the file again after it could not be, if the pause since the last attempt is over. */
    private boolean reopen() {
        if (System.nanoTime() - nextReopenNanos < 0) {
            return false;
        }
        lock.writeLock().lock();
        try {
            state.reopen();
            down = null;
            LOG.info("meta store {}: the file is open again", dir);
            dispatcher.wake();
            return true;
        } catch (RuntimeException e) {
            down = StreamingException.from(e);
            nextReopenNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REOPEN_PAUSE_MILLIS);
            return false;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The store is unusable from now on: fail the batch in flight and everything queued. */
    private void fail(List<Request<?>> batch, Throwable cause) {
        LOG.error("meta store writer failed; the store must be reopened", cause);
        List<Request<?>> queued = new ArrayList<>();
        synchronized (lifecycle) {
            refusal = new StreamingException(ErrorCode.UNRECOVERABLE,
                    "the meta store failed and must be reopened: " + cause, cause);
            queue.drainTo(queued);
        }
        StreamingException unknown = StreamingException.inner("meta store write failed; outcome unknown", cause);
        batch.forEach(r -> r.done.completeExceptionally(unknown));
        queued.forEach(r -> r.done.completeExceptionally(refusal));
        dispatcher.stop(refusal, true);
        state.closeImmediately();
    }
}
