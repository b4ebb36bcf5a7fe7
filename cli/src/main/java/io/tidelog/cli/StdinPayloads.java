package io.tidelog.cli;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The payloads of standard input ({@link PayloadReader}), read on a thread of their own and handed over through a
 * queue of at most {@value #MAX_QUEUED} payloads and {@value #MAX_QUEUED_BYTES} bytes: so {@code produce} notices
 * a stop request while a read blocks, and knows when the next payload would make it wait. The reader thread is a
 * daemon: one blocked reading a terminal or a pipe ends with the process. Used by one consuming thread.
 */
final class StdinPayloads implements ProduceCommand.Input {
    private static final int MAX_QUEUED = 1024;
    private static final long MAX_QUEUED_BYTES = 16L << 20;
    /** How often a waiting {@link #next()} looks at the stop request. */
    private static final long STOP_CHECK_MILLIS = 100;

    private final StopRequest stop;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queuedBytes;
    /** The reader is done: at the end of the input, or at {@link #failure}. */
    private boolean ended;
    /** Why reading stopped short; thrown by {@link #next()} once the payloads before it are taken. */
    private StreamingException failure;
    private boolean closed;

    StdinPayloads(PayloadReader reader, StopRequest stop) {
        this.stop = stop;
        Thread t = new Thread(() -> read(reader), "produce-stdin");
        t.setDaemon(true);
        t.start();
    }

    private void read(PayloadReader reader) {
        StreamingException error = null;
        try {
            for (byte[] p = reader.next(); p != null; p = reader.next()) {
                if (!put(p)) {
                    return;
                }
            }
        } catch (StreamingException e) {
            error = e;
        } catch (IOException e) {
            error = StreamingException.invalidArgument("cannot read standard input: " + e.getMessage());
        }
        lock.lock();
        try {
            ended = true;
            failure = error;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Queues {@code p}, waiting for room; false once closed. */
    private boolean put(byte[] p) {
        lock.lock();
        try {
            while (!closed && (queue.size() >= MAX_QUEUED || (!queue.isEmpty() && queuedBytes + p.length > MAX_QUEUED_BYTES))) {
                changed.await();
            }
            if (closed) {
                return false;
            }
            queue.add(p);
            queuedBytes += p.length;
            changed.signalAll();
            return true;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<byte[]> next() {
        lock.lock();
        try {
            while (true) {
                if (stop.isRequested()) {
                    return Optional.empty();
                }
                byte[] p = queue.poll();
                if (p != null) {
                    queuedBytes -= p.length;
                    changed.signalAll();
                    return Optional.of(p);
                }
                if (ended && failure != null) {
                    throw failure;
                }
                if (ended) {
                    return Optional.empty();
                }
                changed.await(STOP_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean wouldBlock() {
        lock.lock();
        try {
            return queue.isEmpty() && !ended;
        } finally {
            lock.unlock();
        }
    }

    /** Stops taking payloads: the reader thread ends at its next hand-over. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
