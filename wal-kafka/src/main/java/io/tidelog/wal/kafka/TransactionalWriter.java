package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.wal.ByteBudget;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;

/**
 * The append path of one pchannel at one term: appenders queue copies of their records; the writer thread takes
 * everything queued (up to {@link KafkaClients#TRANSACTION_MAX_BYTES}), and in one transaction of the pchannel's
 * producer sends it all and commits, then completes the appenders' futures in log order with the offsets. While
 * one transaction commits the next gathers: one broker round trip carries many appends, with no timer.
 *
 * <p><b>Durability point:</b> the commit. The records were written with {@code acks=all} (replicated to
 * {@code min.insync.replicas}), and the commit decision is in the replicated transaction log, so the commit
 * markers follow even if the coordinator fails over; {@code read_committed} readers see the records once they do.
 *
 * <p><b>Failures</b>, after which the writer is terminal and every later append fails alike (reopen the pchannel):
 * <ul>
 *   <li>fenced ({@code ProducerFencedException}, {@code InvalidProducerEpochException}): a newer term's
 *       {@code initTransactions} bumped the producer epoch and aborted the open transaction, so nothing of it is
 *       written: {@code CHANNEL_FENCED}. One exception: the fence struck the commit itself after every record was
 *       written, where the coordinator may have committed before it fenced (a lost answer to the commit, retried
 *       with the old epoch). The writer then reads whether the first record is committed: if so the transaction is
 *       acknowledged (it lies before the newer term's first record), else it is fenced; if it cannot tell, the
 *       outcome is unknown;</li>
 *   <li>anything else (a deadline, a lost broker, a refused record) hides whether the transaction committed: its
 *       appends fail with {@code TIMEOUT} or {@code INNER} (outcome unknown), never with a nothing-written code;
 *       the writer tries to abort what it can, so that readers are not held back until the transaction times
 *       out.</li>
 * </ul>
 * Appends waiting in the queue, never sent, fail with the same exception.
 *
 * <p><b>Back-pressure:</b> accepted but unacknowledged bytes are bounded by {@code buffer.max.bytes}; an append
 * waits up to {@code append.timeout} for room, then fails with {@code RESOURCE_EXHAUSTED} (nothing written).
 *
 * <p><b>Threads:</b> appenders on any thread; one writer thread ({@code wal-kafka-writer-<pchannel>-t<term>}), the
 * only thread that uses the producer after the open handed it over (asserted). Futures complete on it.
 */
final class TransactionalWriter implements AutoCloseable {
    private final String pchannel;
    private final long term;
    private final String topic;
    private final KafkaWalConfig config;
    private final Producer<byte[], byte[]> producer;
    private final LongPredicate isCommitted;
    private final List<Header> headers;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition hasWork = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ByteBudget queued;
    private StreamingException terminal;
    private boolean closing;
    private boolean crashed;
    private volatile long lastAcknowledged = -1;

    private record Pending(byte[] value, CompletableFuture<MessageId> future) {
    }

    /**
     * @param producer    the pchannel's transactional producer, initialised, with the term claimed by the open
     * @param isCommitted tells whether the record at an offset is committed, once its transaction is settled; used
     *                    only when a fence strikes a commit (see the class comment)
     */
    TransactionalWriter(String pchannel, long term, KafkaWalConfig config, Producer<byte[], byte[]> producer,
                        LongPredicate isCommitted) {
        this.pchannel = pchannel;
        this.term = term;
        this.topic = config.topic(pchannel);
        this.config = config;
        this.queued = new ByteBudget(lock, pchannel, config.bufferMaxBytes(), KafkaWalConfig.BUFFER_MAX_BYTES,
                config.appendTimeout(), "the brokers");
        this.producer = producer;
        this.isCommitted = isCommitted;
        this.headers = TermHeaders.data(term);
        this.thread = new Thread(this::run, "wal-kafka-writer-" + pchannel + "-t" + term);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    CompletableFuture<MessageId> append(ByteBuffer record) {
        int length = record.remaining();
        if (length > config.maxRecordBytes()) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of " + length
                    + " bytes exceeds the limit of " + config.maxRecordBytes() + " bytes (" + KafkaWalConfig.MAX_RECORD_BYTES
                    + ")"));
        }
        byte[] value = new byte[length];
        record.duplicate().get(value);
        CompletableFuture<MessageId> f = new CompletableFuture<>();
        lock.lock();
        try {
            StreamingException refused = queued.reserve(length, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            queue.add(new Pending(value, f));
            hasWork.signal();
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

    /** The offset of the last record this writer acknowledged, or -1. */
    long lastAcknowledged() {
        return lastAcknowledged;
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

    private void run() {
        List<Pending> batch;
        while ((batch = take()) != null) {
            StreamingException failure = commit(batch);
            long bytes = 0;
            for (Pending p : batch) {
                bytes += p.value.length;
            }
            lock.lock();
            try {
                queued.release(bytes);
            } finally {
                lock.unlock();
            }
            if (failure != null) {
                becomeTerminal(failure);
                return;
            }
        }
    }

    /** The next transaction's appends, or null when the writer stops (closed and drained, crashed, terminal). */
    private List<Pending> take() {
        lock.lock();
        try {
            while (queue.isEmpty() && !closing && !crashed && terminal == null) {
                hasWork.awaitUninterruptibly();
            }
            if (crashed || terminal != null || queue.isEmpty()) {
                return null;
            }
            List<Pending> batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && (batch.isEmpty() || bytes + queue.peek().value.length <= KafkaClients.TRANSACTION_MAX_BYTES)) {
                Pending p = queue.poll();
                bytes += p.value.length;
                batch.add(p);
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** Writes one transaction and completes its appends; returns the failure that makes the writer terminal, if any. */
    private StreamingException commit(List<Pending> batch) {
        assert Thread.currentThread() == thread : "only the writer thread uses the producer";
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
        boolean committing = false;
        try {
            producer.beginTransaction();
            for (Pending p : batch) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, null, null, p.value, headers)));
            }
            committing = true;
            producer.commitTransaction();
        } catch (RuntimeException e) {
            return failed(batch, sent, committing, e);
        }
        acknowledge(batch, sent);
        return null;
    }

    private StreamingException failed(List<Pending> batch, List<Future<RecordMetadata>> sent, boolean committing,
                                      RuntimeException e) {
        String what = "pchannel " + pchannel + " at term " + term + ": a transaction of " + batch.size() + " appends";
        if (isCrashed()) {
            StreamingException crash = StreamingException.onShutdown(what + " was cut short by a simulated crash");
            batch.forEach(p -> p.future.completeExceptionally(crash));
            return crash;
        }
        StreamingException failure = KafkaErrors.toStreaming(what, e);
        if (failure.code() == ErrorCode.CHANNEL_FENCED) {
            if (committing && sent.size() == batch.size() && sent.stream().allMatch(f -> offsetOf(f).isPresent())) {
                settleFencedCommit(batch, sent, failure);
            } else {
                batch.forEach(p -> p.future.completeExceptionally(failure));
            }
            return failure;
        }
        StreamingException unknown = failure.code().isOutcomeUnknown() ? failure
                : StreamingException.inner(what + ": outcome unknown (" + e + ")", e);
        batch.forEach(p -> p.future.completeExceptionally(unknown));
        abortQuietly();
        return unknown;
    }

    /**
     * The fence struck the commit after every record was written: the transaction may have committed before the
     * fence (see the class comment). Reads which it was; acknowledges the batch if committed.
     */
    private void settleFencedCommit(List<Pending> batch, List<Future<RecordMetadata>> sent, StreamingException fenced) {
        long first = offsetOf(sent.get(0)).orElseThrow();
        boolean committed;
        try {
            committed = isCommitted.test(first);
        } catch (RuntimeException e) {
            StreamingException unknown = StreamingException.inner("pchannel " + pchannel + " at term " + term
                    + ": fenced while committing, and whether the commit came first cannot be read (outcome unknown)", e);
            batch.forEach(p -> p.future.completeExceptionally(unknown));
            return;
        }
        if (!committed) {
            batch.forEach(p -> p.future.completeExceptionally(fenced));
            return;
        }
        acknowledge(batch, sent);
    }

    /**
     * Completes a committed transaction's appends with their offsets. The last offset is published first: a reader
     * from LATEST opened by an appender that saw its acknowledgement starts after it.
     */
    private void acknowledge(List<Pending> batch, List<Future<RecordMetadata>> sent) {
        lastAcknowledged = offsetOf(sent.get(sent.size() - 1)).orElseThrow();
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future.complete(MessageId.of(0, offsetOf(sent.get(i)).orElseThrow()));
        }
    }

    /** The offset of a record the broker acknowledged, or empty if its send failed or is not done. */
    private static OptionalLong offsetOf(Future<RecordMetadata> f) {
        if (!f.isDone()) {
            return OptionalLong.empty();
        }
        try {
            RecordMetadata m = f.get(0, TimeUnit.MILLISECONDS);
            return m.hasOffset() ? OptionalLong.of(m.offset()) : OptionalLong.empty();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /** Aborts the open transaction if the producer still can, so that it does not hold readers back. */
    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            // the transaction times out at the coordinator instead, or the next open of the pchannel aborts it
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

    /** Every later append, and everything still queued, fails with {@code e}. */
    private void becomeTerminal(StreamingException e) {
        List<Pending> dropped;
        lock.lock();
        try {
            if (terminal == null) {
                terminal = e;
            }
            dropped = new ArrayList<>(queue);
            queue.clear();
            queued.releaseAll();
        } finally {
            lock.unlock();
        }
        dropped.forEach(p -> p.future.completeExceptionally(e));
    }

    /** Stops accepting appends, commits everything accepted, stops the thread and closes the producer. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            hasWork.signal();
            queued.wakeAll();
        } finally {
            lock.unlock();
        }
        join();
        producer.close(config.requestTimeout());
    }

    /**
     * A simulated crash: the producer is closed at once with nothing flushed (an open transaction is left to the
     * broker), the futures of everything accepted fail with {@code ON_SHUTDOWN} (outcome unknown).
     */
    void crash() {
        List<Pending> dropped;
        lock.lock();
        try {
            crashed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            hasWork.signal();
            queued.wakeAll();
        } finally {
            lock.unlock();
        }
        producer.close(Duration.ZERO);
        StreamingException crash = StreamingException.onShutdown("pchannel " + pchannel + ": simulated crash");
        dropped.forEach(p -> p.future.completeExceptionally(crash));
        join();
    }

    /** Waits for the writer thread to end (every call it makes has a deadline), unless called on it. */
    private void join() {
        if (Thread.currentThread() != thread) {
            Threads.joinUninterruptibly(thread);
        }
    }
}
