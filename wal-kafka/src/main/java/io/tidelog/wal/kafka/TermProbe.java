package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the committed records of a pchannel's topic for what fencing needs to know about terms: the newest term in
 * the log, the newest term in a range of it, and whether a record was committed. It owns a {@code read_committed}
 * consumer; one thread uses it and closes it after use. Every method ends by its deadline, or fails with
 * {@code TIMEOUT}.
 */
final class TermProbe implements AutoCloseable {
    /** How many offsets before the end the search for the newest term looks first; it steps back eightfold. */
    static final int FIRST_WINDOW = 16;
    private static final Duration POLL = Duration.ofMillis(10);

    /**
     * What the search for the newest term found.
     *
     * @param term the newest term recorded in the log, or -1 if no record carries one
     * @param end  every committed record below this offset was read
     */
    record Tail(long term, long end) {
    }

    private final Consumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final String pchannel;
    private final Duration timeout;

    TermProbe(KafkaClients clients, String pchannel, TopicPartition partition) {
        this.consumer = clients.consumer("probe", pchannel);
        this.partition = partition;
        this.pchannel = pchannel;
        this.timeout = clients.config().blockTimeout();
        consumer.assign(List.of(partition));
    }

    /**
     * The newest term in the log. Terms never decrease along the committed log (the open protocol in {@link KafkaWal}
     * keeps it so), so the last record that carries a term carries the newest: the search reads the last
     * {@value #FIRST_WINDOW} offsets before the last stable offset and steps back, eightfold each time, down to the
     * log start while it finds none (transaction markers and aborted records take offsets too).
     */
    Tail newestTerm() {
        long deadline = System.nanoTime() + timeout.toNanos();
        long start = consumer.beginningOffsets(List.of(partition), timeout).get(partition);
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        for (long back = FIRST_WINDOW; ; back *= 8) {
            long from = Math.max(start, end - back);
            long[] newest = {-1};
            long reached = read(from, end, deadline, r -> newest[0] = Math.max(newest[0], TermHeaders.termOf(r.headers())));
            if (newest[0] >= 0 || from == start) {
                return new Tail(newest[0], reached);
            }
        }
    }

    /** The newest term among the committed records from {@code from} (inclusive) to {@code to} (exclusive), or -1. */
    long newestTermBetween(long from, long to) {
        long[] newest = {-1};
        read(from, to, System.nanoTime() + timeout.toNanos(),
                r -> newest[0] = Math.max(newest[0], TermHeaders.termOf(r.headers())));
        return newest[0];
    }

    /**
     * Whether the record at {@code offset} is committed: read once its transaction is settled (the read waits for
     * the last stable offset to pass it), so {@code false} means aborted.
     */
    boolean isCommitted(long offset) {
        boolean[] seen = {false};
        read(offset, offset + 1, System.nanoTime() + timeout.toNanos(), r -> seen[0] |= r.offset() == offset);
        return seen[0];
    }

    /** Reads every committed record from {@code from} until the consumer's position reaches {@code to}; returns it. */
    private long read(long from, long to, long deadline,
                      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        consumer.seek(partition, from);
        long position = from;
        while (position < to) {
            if (System.nanoTime() - deadline > 0) {
                throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel + ": the committed records up to"
                        + " offset " + to + " could not be read within " + timeout + " (read up to " + position
                        + "); an open transaction may hold the last stable offset back");
            }
            consumer.poll(POLL).records(partition).forEach(each);
            position = consumer.position(partition, timeout);
        }
        return position;
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ZERO));
    }
}
