package io.tidelog.bench;

import io.tidelog.client.ResumableConsumer;
import io.tidelog.message.ImmutableMessage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A tailing consumer's view of the latency bench's messages: one thread polls a consumer that started at
 * LATEST and notes when each message of the current sample arrives ({@code System.nanoTime()} right
 * after {@code poll} returned it, the moment an application could act on it).
 *
 * <p>Every bench message starts with a {@link #HEADER_BYTES}-byte header: a magic number, the sample it
 * belongs to, its index in the sample, and its intended send time; the watcher needs nothing else, no
 * map shared with the producer. Messages of other samples (or of nobody) are skipped.
 */
final class TailWatcher implements AutoCloseable {
    static final int HEADER_BYTES = 24;
    private static final long MAGIC = 0x7469_6465_6c6f_6721L; // "tidelog!"
    private static final Duration POLL = Duration.ofMillis(50);

    /** The arrivals of one sample's messages; {@code seenNanos[i] == 0} until message i arrived. */
    static final class Sample {
        final int id;
        final long[] seenNanos;
        final CountDownLatch allSeen;

        Sample(int id, int messages) {
            this.id = id;
            this.seenNanos = new long[messages];
            this.allSeen = new CountDownLatch(messages);
        }

        /** Waits until every message arrived or the timeout passed; returns how many are still missing. */
        long await(long timeout, TimeUnit unit) throws InterruptedException {
            allSeen.await(timeout, unit);
            return allSeen.getCount();
        }
    }

    private final ResumableConsumer consumer;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Sample current;
    private volatile boolean stopped;

    TailWatcher(ResumableConsumer consumer) {
        this.consumer = consumer;
        this.thread = new Thread(this::loop, "bench-tail-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Writes the header into the first {@link #HEADER_BYTES} bytes of {@code payload}. */
    static void writeHeader(byte[] payload, int sample, int index, long intendedNanos) {
        ByteBuffer.wrap(payload).putLong(MAGIC).putInt(sample).putInt(index).putLong(intendedNanos);
    }

    /** From now on, arrivals of messages of {@code s} are noted in it. */
    void watch(Sample s) {
        current = s;
    }

    /** The consumer's failure, if it failed. */
    Throwable failure() {
        return failure.get();
    }

    private void loop() {
        try {
            while (!stopped) {
                ImmutableMessage m = consumer.poll(POLL);
                long now = System.nanoTime();
                if (m == null || m.payload().size() < HEADER_BYTES) {
                    continue;
                }
                ByteBuffer b = m.payload().substring(0, HEADER_BYTES).asReadOnlyByteBuffer();
                if (b.getLong() != MAGIC) {
                    continue;
                }
                int sample = b.getInt();
                int index = b.getInt();
                Sample s = current;
                if (s != null && s.id == sample && index >= 0 && index < s.seenNanos.length && s.seenNanos[index] == 0) {
                    s.seenNanos[index] = now;
                    s.allSeen.countDown();
                }
            }
        } catch (RuntimeException e) {
            if (!stopped) {
                failure.compareAndSet(null, e);
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        consumer.close();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
