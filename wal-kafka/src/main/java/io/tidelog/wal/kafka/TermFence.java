package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Claims a term for a pchannel at the broker: the read-write open, steps 1 to 5 of the protocol in {@link KafkaWal}.
 * Returns the pchannel's transactional producer, initialised, with the term's TERM record committed, for the
 * {@link TransactionalWriter} to take over. Runs on the opener's thread; every step has its deadline.
 */
final class TermFence {
    /** Claims tried before giving up when other openers keep fencing this one (the newest term wins each race). */
    static final int ATTEMPTS = 5;

    private TermFence() {
    }

    /** A newer term was found: the open fails, and no retry can change that. */
    private static final class NewerTerm extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long newer;

        NewerTerm(long newer) {
            super(null, null, false, false);
            this.newer = newer;
        }
    }

    static Producer<byte[], byte[]> claim(KafkaClients clients, String pchannel, long term, TopicPartition partition) {
        return claim(clients, pchannel, term, partition, () -> { });
    }

    /** Test support: {@code afterRead} runs between steps 1 and 2, where a racing opener can slip in. */
    static Producer<byte[], byte[]> claim(KafkaClients clients, String pchannel, long term, TopicPartition partition,
                                          Runnable afterRead) {
        String what = "cannot open pchannel " + pchannel + " at term " + term;
        StreamingException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try (TermProbe probe = new TermProbe(clients, pchannel, partition)) {
                TermProbe.Tail tail = probe.newestTerm();
                if (tail.term() > term) {
                    throw fenced(what, tail.term());
                }
                afterRead.run();
                Producer<byte[], byte[]> producer = clients.producer(pchannel, term);
                try {
                    claimWith(producer, probe, tail, clients.config(), partition, term);
                    return producer;
                } catch (NewerTerm e) {
                    producer.close(Duration.ZERO);
                    throw fenced(what, e.newer);
                } catch (RuntimeException e) {
                    producer.close(Duration.ZERO);
                    last = KafkaErrors.toStreaming(what, e);
                    if (last.code() != ErrorCode.CHANNEL_FENCED) {
                        throw last;
                    }
                    // Another opener fenced this one before its TERM record committed. Look again: a newer term that
                    // committed fails this open; an older opener's claim is aborted by the next attempt.
                }
            }
        }
        throw new StreamingException(ErrorCode.CHANNEL_FENCED, what + ": other openers fenced each of " + ATTEMPTS
                + " attempts to claim the term", last);
    }

    /** Steps 2 to 5: fence older producers, write the TERM record, check nothing newer slipped in, commit. */
    private static void claimWith(Producer<byte[], byte[]> producer, TermProbe probe, TermProbe.Tail tail,
                                  KafkaWalConfig config, TopicPartition partition, long term) {
        producer.initTransactions();
        producer.beginTransaction();
        var sent = producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null, null, new byte[0],
                TermHeaders.termRecord(term)));
        producer.flush();
        long at;
        try {
            at = sent.get(config.blockTimeout().toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                    : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("the TERM record was not acknowledged in "
                    + config.blockTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
        long newer = probe.newestTermBetween(tail.end(), at);
        if (newer > term) {
            try {
                producer.abortTransaction();
            } catch (RuntimeException e) {
                // the transaction stays open until it times out or a newer open aborts it; it never commits
            }
            throw new NewerTerm(newer);
        }
        producer.commitTransaction();
    }

    private static StreamingException fenced(String what, long newer) {
        return new StreamingException(ErrorCode.CHANNEL_FENCED, what + ": term " + newer + " was opened already");
    }
}
