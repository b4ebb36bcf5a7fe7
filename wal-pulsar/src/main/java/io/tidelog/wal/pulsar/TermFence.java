package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.Optional;
import java.util.UUID;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;

/**
 * Claims a pchannel at a term (the protocol is in {@link PulsarWal}): checks the newest term in the log, fences
 * every other producer of the topic at the broker, writes the TERM record, and checks that no newer term slipped in
 * between.
 */
final class TermFence {
    private static final int ATTEMPTS = 3;

    private TermFence() {
    }

    /** The claimed producer and the id of the TERM record it wrote. */
    record Claim(Producer<byte[]> producer, MessageId termRecord) {
    }

    static Claim claim(PulsarClients clients, String pchannel, long term) {
        StreamingException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                return attempt(clients, pchannel, term);
            } catch (StreamingException e) {
                if (e.code() != ErrorCode.CHANNEL_FENCED || e.getMessage().contains("newer term")) {
                    throw e;
                }
                last = e; // another opener fenced this one between its steps: the newest term wins on retry
            }
        }
        throw last;
    }

    private static Claim attempt(PulsarClients clients, String pchannel, long term) {
        Optional<Message<byte[]>> newest = last(clients, pchannel);
        long newestTerm = newest.map(RecordHeader::termOf).orElse(-1L);
        failIfNewer(pchannel, term, newestTerm);
        String name = clients.config().topicPrefix() + pchannel + "-t" + term + "-" + UUID.randomUUID().toString().substring(0, 8);
        Producer<byte[]> producer = clients.exclusiveProducer(pchannel, name);
        try {
            MessageId termRecord = PulsarErrors.await(RecordHeader.term(producer.newMessage(), term).sendAsync(),
                    clients.blockMillis(), "write the TERM record of pchannel " + pchannel + " at term " + term);
            failIfNewer(pchannel, term, newestBetween(clients, pchannel, newest.map(Message::getMessageId), termRecord));
            return new Claim(producer, termRecord);
        } catch (RuntimeException e) {
            producer.closeAsync();
            throw e;
        }
    }

    private static void failIfNewer(String pchannel, long term, long newestTerm) {
        if (newestTerm > term) {
            throw new StreamingException(ErrorCode.CHANNEL_FENCED, "pchannel " + pchannel + ": cannot open at term "
                    + term + ", a newer term " + newestTerm + " was opened");
        }
    }

    /**
     * The last record of the pchannel's topic, if it has one: the broker tells the id of the last entry it confirmed
     * (every acknowledged record is at or before it), and a reader reads that entry up to the record with that id.
     */
    static Optional<Message<byte[]>> last(PulsarClients clients, String pchannel) {
        Optional<io.tidelog.common.MessageId> end = lastId(clients, pchannel);
        if (end.isEmpty()) {
            return Optional.empty();
        }
        try (Reader<byte[]> r = clients.reader(pchannel, PulsarIds.entryOf(end.get()), true)) {
            while (true) {
                Message<byte[]> m = PulsarErrors.await(r.readNextAsync(), clients.blockMillis(),
                        "read the last record of " + pchannel);
                if (!PulsarIds.of(m.getMessageId()).isBefore(end.get())) {
                    return Optional.of(m);
                }
            }
        } catch (java.io.IOException e) {
            throw StreamingException.inner("cannot read the end of pchannel " + pchannel + ": " + e, e);
        }
    }

    /** The id of the last record the broker confirmed on the pchannel's topic, or empty if it has none. */
    static Optional<io.tidelog.common.MessageId> lastId(PulsarClients clients, String pchannel) {
        try (Reader<byte[]> r = clients.reader(pchannel, MessageId.latest, false)) {
            MessageIdAdv end = (MessageIdAdv) PulsarErrors.await(r.getLastMessageIdsAsync(), clients.blockMillis(),
                    "read the end of " + pchannel).get(0);
            return end.getLedgerId() < 0 || end.getEntryId() < 0 ? Optional.empty() : Optional.of(PulsarIds.of(end));
        } catch (java.io.IOException e) {
            throw StreamingException.inner("cannot read the end of pchannel " + pchannel + ": " + e, e);
        }
    }

    /** The newest term among the records after {@code from} (all if empty) up to and excluding {@code until}. */
    private static long newestBetween(PulsarClients clients, String pchannel, Optional<MessageId> from, MessageId until) {
        long newest = -1;
        try (Reader<byte[]> r = clients.reader(pchannel, from.orElse(MessageId.earliest), false)) {
            while (true) {
                Message<byte[]> m = PulsarErrors.await(r.readNextAsync(), clients.blockMillis(),
                        "read pchannel " + pchannel + " up to its new TERM record");
                if (m.getMessageId().compareTo(until) >= 0) {
                    return newest;
                }
                newest = Math.max(newest, RecordHeader.termOf(m));
            }
        } catch (java.io.IOException e) {
            return newest;
        }
    }
}
