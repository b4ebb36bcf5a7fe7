package io.tidelog.wal.pulsar;

import com.google.gson.JsonElement;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.Message;

/**
 * One pchannel's log on Pulsar: the persistent, non-partitioned topic
 * {@code persistent://<tenant>/<namespace>/<topic.prefix><pchannel>}, {@code MessageId = (ledger, entry << 20 |
 * batch index)} ({@link PulsarIds}). Appends go through an {@link ExclusiveWriter} (read-write only), reads through
 * {@link PulsarScanner}s (non-durable readers), truncation through the retention subscription.
 *
 * <p><b>Fencing</b> is done by the broker. Every writer of the pchannel, in any process and at any term, is an
 * {@code ExclusiveWithFencing} producer of the topic: creating one makes the broker close every other producer of
 * the topic, bump the topic's epoch (kept in the topic's metadata, so it outlives a broker restart and a move of the
 * topic to another broker) and refuse the older producers from then on ({@code ProducerFencedException}:
 * {@code CHANNEL_FENCED} forever). The broker is the topic's only writer to its ledger and adds entries in the order
 * it received them, so every entry of the older producer that it accepted lies before the first entry of the newer
 * one. Why this rather than a storage-level fence of its own (say, a conditional write of the term in the metadata
 * store): the backend reaches Pulsar only through its client protocol, and the exclusive producer is the fence that
 * protocol offers; Pulsar's own ledger fencing (BookKeeper's, when a topic moves between brokers) stands below it.
 * Terms live in the log itself: every record carries its term, and each read-write open writes a TERM record.
 * Opening read-write at term T ({@link TermFence}):
 * <ol>
 *   <li>read the newest term in the log (that of its last record); if it is above T, fail with
 *       {@code CHANNEL_FENCED} <i>without</i> creating a producer, so a stale opener does not fence a newer writer
 *       whose open returned before this step;</li>
 *   <li>create the exclusive producer: every older producer is fenced;</li>
 *   <li>write the TERM record of T (acknowledged: its id X is known; every entry of an older producer the broker
 *       accepted lies before X);</li>
 *   <li>re-read the records between the end seen in 1 and X: if one carries a term above T, a newer opener raced
 *       this one between 1 and 2; fail with {@code CHANNEL_FENCED} (the TERM record of T stays, but readers skip TERM
 *       records and drop data of a term below one they have read, and this log writes no data). If 2 to 4 are fenced
 *       by another opener, go back to 1 (a few times), so the newest term wins a race of openers.</li>
 * </ol>
 *
 * <p><b>Why an append of an older term is never acknowledged after the newer term's open returned</b>, unless it
 * was already in the log: an append is acknowledged by the broker's receipt, sent once the entry is in the ledger.
 * An append the older writer sends after the fence is refused. One in flight at the fence either landed before the
 * newer TERM record (its acknowledgement may arrive late, read back by the writer as {@link ExclusiveWriter} says) or
 * never lands. <b>Why it is never delivered after the newer term's first record:</b> by the broker's order above, and
 * a scanner drops a data record whose term is below one it has read.
 *
 * <p><b>Not fenced at the broker:</b> a stale opener that passed step 1 just before a newer open returned still
 * fences the newer writer in step 2; it then fails in step 4, and nothing of either is lost, but the newer writer's
 * appends fail with {@code CHANNEL_FENCED} until the pchannel is opened again (a liveness cost, not a safety one).
 * Step 1 reads the term of the log's last record only: the TERM record such a stale opener leaves after a newer one
 * hides the newer term from a later opener, so one whose term lies between the two would open (it takes two stale
 * openers racing a current one; the coordinator never assigns a term below the current one).
 *
 * <p><b>Retention and truncation.</b> A read-write open creates the topic's durable retention subscription at its
 * oldest record, before anything is written, so the broker keeps every record until the subscription moves past it
 * (the namespace must not expire records by TTL or evict them by a backlog quota). {@link #truncate} moves the
 * subscription's mark-delete position to just before the entry of {@code upTo} (the admin API's reset-cursor, no
 * consumer attached: see {@link AdminRest#resetCursor}) and asks the broker to trim: it deletes the ledgers wholly
 * before that position (granularity: a ledger, see {@code managedLedgerMaxEntriesPerLedger}). Truncation carries no producer epoch: a log refuses to truncate once it
 * knows it is fenced, and checks the newest term in the log first.
 *
 * <p>Read-only: no producer and no subscription; nothing is written, nobody fenced (reading a topic that does not
 * exist makes the broker create it empty).
 */
final class PulsarWal implements Wal {
    private final String pchannel;
    private final long term;
    private final AccessMode mode;
    private final PulsarClients clients;
    private final ExclusiveWriter writer;
    private final Consumer<PulsarWal> onClose;
    private final Set<PulsarScanner> scanners = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    PulsarWal(String pchannel, long term, AccessMode mode, PulsarClients clients, ExclusiveWriter writer,
              Consumer<PulsarWal> onClose) {
        this.pchannel = pchannel;
        this.term = term;
        this.mode = mode;
        this.clients = clients;
        this.writer = writer;
        this.onClose = onClose;
    }

    @Override
    public String pchannel() {
        return pchannel;
    }

    @Override
    public long term() {
        return term;
    }

    @Override
    public AccessMode accessMode() {
        return mode;
    }

    @Override
    public int maxRecordBytes() {
        return clients.config().maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        if (writer == null) {
            return CompletableFuture.failedFuture(readOnly());
        }
        return writer.append(record);
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        checkOpen();
        PulsarScanner s = PulsarErrors.retryingTransient(clients.blockMillis(),
                () -> PulsarScanner.open(clients, pchannel, policy, scanners::remove));
        scanners.add(s);
        if (closed.get()) {
            s.close();
            checkOpen();
        }
        return s;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
    }

    /**
     * When the connection of this log's producer last dropped (epoch milliseconds), 0 if it never did; for tests and
     * diagnostics: every drop makes the client resend its whole window of unacknowledged records.
     */
    long producerDisconnectedAtMillis() {
        if (writer == null) {
            throw readOnly();
        }
        return writer.lastDisconnectedMillis();
    }

    @Override
    public void truncate(MessageId upTo) {
        if (writer == null) {
            throw readOnly();
        }
        StreamingException terminal = writer.terminal();
        if (terminal != null) {
            throw terminal;
        }
        Optional<Message<byte[]>> last = PulsarErrors.retryingTransient(clients.blockMillis(),
                () -> TermFence.last(clients, pchannel));
        long newest = last.map(RecordHeader::termOf).orElse(-1L);
        if (newest > term) {
            throw new StreamingException(ErrorCode.CHANNEL_FENCED, "pchannel " + pchannel + " at term " + term
                    + ": term " + newest + " was opened; truncation is refused");
        }
        MessageId end = last.map(m -> PulsarIds.of(m.getMessageId())).orElse(MessageId.of(0, 0));
        if (upTo.isAfter(end)) {
            throw StreamingException.invalidArgument("pchannel " + pchannel + ": cannot truncate up to " + upTo
                    + ", it lies beyond the end of the log (" + end + ")");
        }
        clients.admin().resetCursor(pchannel, PulsarClients.RETENTION_SUBSCRIPTION, PulsarIds.ledger(upTo),
                PulsarIds.entry(upTo));
        clients.admin().trim(pchannel);
    }

    /** True if the topic has no retention subscription: every read-write open creates it before writing. */
    @Override
    public boolean isNew() {
        Optional<JsonElement> subscriptions = clients.admin().subscriptions(pchannel);
        if (subscriptions.isEmpty()) {
            return true;
        }
        for (JsonElement e : subscriptions.get().getAsJsonArray()) {
            if (PulsarClients.RETENTION_SUBSCRIPTION.equals(e.getAsString())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long retainedBytes() {
        try {
            return clients.admin().stats(pchannel).map(s -> s.getAsJsonObject().get("storageSize").getAsLong())
                    .orElse(0L);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private StreamingException readOnly() {
        return new StreamingException(ErrorCode.READ_ONLY, "pchannel " + pchannel + " is open read-only");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            List.copyOf(scanners).forEach(PulsarScanner::close);
            onClose.accept(this);
        }
    }

    /** As a crash of the process would: the writer stops at once (see {@link ExclusiveWriter#crash()}). */
    void crash() {
        closed.set(true);
        if (writer != null) {
            writer.crash();
        }
        List.copyOf(scanners).forEach(PulsarScanner::close);
    }
}
