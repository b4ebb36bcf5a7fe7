package io.tidelog.wal.pulsar;

import io.tidelog.common.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.impl.MessageIdImpl;

/**
 * Tidelog's ids of Pulsar's positions: {@code MessageId(ledgerId, entryId << 20 | batchIndex)}. Pulsar orders a
 * topic's messages by ledger, then entry, then index within the entry's batch; the mapping keeps that order (a
 * ledger holds far fewer than 2^43 entries, a batch at most {@value #MAX_BATCH} records). A record sent alone has no
 * batch index and maps to index 0.
 */
final class PulsarIds {
    /** The most records of one batch: the batch index has 20 bits. */
    static final int MAX_BATCH = (1 << 20) - 1;
    private static final int INDEX_BITS = 20;

    private PulsarIds() {
    }

    static MessageId of(org.apache.pulsar.client.api.MessageId id) {
        MessageIdAdv a = (MessageIdAdv) id;
        int index = Math.max(0, a.getBatchIndex());
        return MessageId.of(a.getLedgerId(), (a.getEntryId() << INDEX_BITS) | index);
    }

    static long ledger(MessageId id) {
        return id.major();
    }

    static long entry(MessageId id) {
        return id.minor() >>> INDEX_BITS;
    }

    static int batchIndex(MessageId id) {
        return (int) (id.minor() & MAX_BATCH);
    }

    /** The Pulsar position of the entry that holds {@code id} (the whole batch, from its first record). */
    static org.apache.pulsar.client.api.MessageId entryOf(MessageId id) {
        return new MessageIdImpl(ledger(id), entry(id), -1);
    }
}
