package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A scanner of one pchannel's topic: a consumer of its own, with no group ({@code assign} partition 0, no committed
 * offsets, {@code auto.offset.reset=none}) that reads only committed records ({@code read_committed}: what a
 * transaction of the writer committed, nothing of an aborted one) and checks every batch's CRC.
 *
 * <p>It skips TERM records and drops a data record whose term is below the highest term it has read (the
 * transactional fence already keeps such records out of the committed log; this is belt and braces). A record
 * without a term header was not written by this backend and is reported as {@code DATA_CORRUPTED}.
 *
 * <p>Failures, after which it delivers nothing more: a start before the log start, or a position truncated away
 * while reading ({@code OUT_OF_RANGE}); a batch that fails its CRC or cannot be parsed ({@code DATA_CORRUPTED}
 * naming the pchannel and the id of the first record that could not be read); the scanner closed
 * ({@code ON_SHUTDOWN}).
 *
 * <p>Threads: one thread polls at a time (the consumer is single-threaded); {@link #close()} may come from any
 * thread: it wakes a blocked poll ({@code wakeup()}), and the polling thread closes the consumer on its way out.
 */
final class KafkaScanner implements WalScanner {
    private final String pchannel;
    private final TopicPartition partition;
    private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
    private final Consumer<KafkaScanner> onClose;
    private final Object state = new Object();
    /** Guarded by {@link #state}. */
    private boolean polling;
    private boolean closed;
    private boolean consumerClosed;
    /** Used by the polling thread only. */
    private Iterator<ConsumerRecord<byte[], byte[]>> buffered = Collections.emptyIterator();
    private long highestTerm = -1;
    private volatile StreamingException failure;

    private KafkaScanner(String pchannel, TopicPartition partition,
                         org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
                         Consumer<KafkaScanner> onClose) {
        this.pchannel = pchannel;
        this.partition = partition;
        this.consumer = consumer;
        this.onClose = onClose;
    }

    /**
     * Opens a scanner positioned by {@code policy}. {@code latestFloor} is the offset after the last record this
     * process acknowledged on the pchannel (0 if none): {@code latest} never starts below it, even while the commit
     * markers of that record are still on their way (the broker answers an append before they land).
     */
    static KafkaScanner open(KafkaClients clients, String pchannel, TopicPartition partition, DeliverPolicy policy,
                             long latestFloor, Consumer<KafkaScanner> onClose) {
        org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer = clients.consumer("scanner", pchannel);
        try {
            consumer.assign(List.of(partition));
            Duration timeout = clients.config().blockTimeout();
            boolean exists = !consumer.partitionsFor(partition.topic(), timeout).isEmpty();
            seek(consumer, pchannel, partition, policy, exists, latestFloor, timeout);
            return new KafkaScanner(pchannel, partition, consumer, onClose);
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw KafkaErrors.toStreaming("cannot read pchannel " + pchannel, e);
        }
    }

    private static void seek(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer, String pchannel,
                             TopicPartition partition, DeliverPolicy policy, boolean exists, long latestFloor,
                             Duration timeout) {
        List<TopicPartition> p = List.of(partition);
        if (policy instanceof DeliverPolicy.All) {
            // Resolved when the first fetch is made, so a truncation in between cannot put the start out of range.
            consumer.seekToBeginning(p);
            return;
        }
        if (policy instanceof DeliverPolicy.Latest) {
            long end = exists ? consumer.endOffsets(p, timeout).get(partition) : 0;
            consumer.seek(partition, Math.max(end, latestFloor));
            return;
        }
        MessageId id = policy instanceof DeliverPolicy.StartFrom from ? from.id() : ((DeliverPolicy.StartAfter) policy).id();
        if (id.major() != 0) {
            throw StreamingException.invalidArgument("pchannel " + pchannel + ": " + id + " is no kafka message id"
                    + " (0:offset)");
        }
        long start = policy instanceof DeliverPolicy.StartFrom ? id.minor() : id.minor() + 1;
        long logStart = exists ? consumer.beginningOffsets(p, timeout).get(partition) : 0;
        if (start < logStart) {
            throw outOfRange(pchannel, start, logStart);
        }
        consumer.seek(partition, start);
    }

    private static StreamingException outOfRange(String pchannel, long start, long logStart) {
        return new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel + ": " + MessageId.of(0, start)
                + " was truncated away; the log starts at " + MessageId.of(0, logStart));
    }

    @Override
    public LogRecord poll(Duration timeout) throws InterruptedException {
        synchronized (state) {
            if (closed) {
                throw StreamingException.onShutdown("the scanner of pchannel " + pchannel + " is closed");
            }
            if (failure != null) {
                throw failure;
            }
            polling = true;
        }
        try {
            return next(System.nanoTime() + timeout.toNanos());
        } catch (WakeupException e) {
            throw StreamingException.onShutdown("the scanner of pchannel " + pchannel + " was closed while polling");
        } catch (InterruptException e) {
            Thread.interrupted();
            InterruptedException ie = new InterruptedException("interrupted while polling pchannel " + pchannel);
            ie.initCause(e);
            throw ie;
        } catch (InvalidOffsetException e) {
            throw fail(new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel + ": the scanner's"
                    + " position lies outside the log: truncated away (" + e.getMessage() + ")", e));
        } catch (KafkaException e) {
            if (KafkaErrors.isCorruption(e)) {
                throw fail(new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": the record at "
                        + MessageId.of(0, position()) + " cannot be read: its batch fails its checksum or framing ("
                        + e.getMessage() + ")", e));
            }
            throw fail(KafkaErrors.toStreaming("pchannel " + pchannel + ": reading failed", e));
        } finally {
            boolean closeNow;
            synchronized (state) {
                polling = false;
                closeNow = closed && !consumerClosed;
                consumerClosed |= closeNow;
            }
            if (closeNow) {
                consumer.close(CloseOptions.timeout(Duration.ZERO));
            }
        }
    }

    /** The next deliverable record, fetching at least once (so a zero timeout still looks), or null at the deadline. */
    private LogRecord next(long deadline) {
        for (boolean fetched = false; ; fetched = true) {
            while (buffered.hasNext()) {
                LogRecord r = deliverable(buffered.next());
                if (r != null) {
                    return r;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 && fetched) {
                return null;
            }
            buffered = consumer.poll(Duration.ofNanos(Math.max(0, left))).records(partition).iterator();
        }
    }

    /** The record as delivered, or null for a TERM record or a data record of a term below one already read. */
    private LogRecord deliverable(ConsumerRecord<byte[], byte[]> r) {
        long term = TermHeaders.termOf(r.headers());
        MessageId id = MessageId.of(0, r.offset());
        if (term < 0) {
            throw fail(new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": the record at "
                    + id + " has no term header: it was not written by the kafka WAL"));
        }
        if (TermHeaders.isTermRecord(r.headers()) || term < highestTerm) {
            highestTerm = Math.max(highestTerm, term);
            return null;
        }
        highestTerm = term;
        byte[] value = r.value() == null ? new byte[0] : r.value();
        return new LogRecord(id, ByteBuffer.wrap(value).asReadOnlyBuffer());
    }

    /** The offset of the first record not yet returned by the consumer: where a failed read stopped. */
    private long position() {
        return consumer.position(partition, Duration.ofSeconds(1));
    }

    private StreamingException fail(StreamingException e) {
        failure = e;
        return e;
    }

    @Override
    public void close() {
        boolean closeNow;
        synchronized (state) {
            if (closed) {
                return;
            }
            closed = true;
            if (polling) {
                consumer.wakeup();
            }
            closeNow = !polling && !consumerClosed;
            consumerClosed |= closeNow;
        }
        if (closeNow) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
        onClose.accept(this);
    }
}
