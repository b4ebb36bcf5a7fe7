package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * One pchannel's log on Kafka: partition 0 of the topic {@code <topic.prefix><pchannel>}, {@code MessageId = (0,
 * offset)}. Appends go through a {@link TransactionalWriter} (read-write only), reads through {@link KafkaScanner}s
 * ({@code read_committed}), truncation through {@code deleteRecords}.
 *
 * <p><b>Fencing</b> is done by the broker. Every writer of the pchannel, in any process and at any term, is a
 * transactional producer with the same {@code transactional.id} ({@code <transactional.id.prefix><pchannel>});
 * {@code initTransactions()} of a new producer bumps the id's epoch at the transaction coordinator, aborts the
 * transaction the older producer has open, and makes the broker refuse the older producer from then on
 * ({@code ProducerFencedException}: {@code CHANNEL_FENCED} forever). Terms live in the log itself: every record
 * carries its term in a header, and each open writes a TERM record. Opening read-write at term T
 * ({@link TermFence}):
 * <ol>
 *   <li>read the newest term in the log (committed records before the last stable offset, searched back from the
 *       end, {@link TermProbe}); if it is above T, fail with {@code CHANNEL_FENCED} <i>without</i>
 *       {@code initTransactions}, so a stale opener never fences a newer writer whose open returned before this
 *       step;</li>
 *   <li>{@code initTransactions()}: every older producer of the pchannel is fenced, its open transaction
 *       aborted;</li>
 *   <li>begin a transaction and write the TERM record of T (acknowledged: its offset X is known);</li>
 *   <li>re-read the committed records between the end seen in 1 and X (the last stable offset is X now: the only
 *       open transaction is ours): if one carries a term above T, a newer opener raced this one between 1 and 2;
 *       abort (the TERM record of T never becomes visible) and fail with {@code CHANNEL_FENCED};</li>
 *   <li>commit; from now on the writer appends in transactions of this producer. If 3 to 5 are fenced by another
 *       opener, go back to 1 (a few times): a newer term that committed fails this open, an older one is fenced in
 *       turn, so the newest term wins a race of openers.</li>
 * </ol>
 *
 * <p><b>Why a write of an older term is never acknowledged after the newer term's open returned:</b> an append is
 * acknowledged only when its transaction commits. The newer open returned after its {@code initTransactions}, which
 * first settled the older producer's transaction (a commit already decided is completed, anything else is aborted)
 * and then fenced the producer; a transaction the older writer begins or commits later fails with a fence, and its
 * appends with {@code CHANNEL_FENCED}. (Its commit may be fenced after the coordinator decided it; the writer then
 * reads whether it committed, and if so it was settled before the fence.)
 *
 * <p><b>Why it is never delivered after the newer term's first record:</b> every record of the older term that is
 * committed was settled before the newer {@code initTransactions} returned, so it lies at a lower offset than the
 * newer TERM record, which is written after it. Readers read committed records only, in offset order, so they see
 * no aborted record of the older term; and step 4 keeps every committed TERM record in term order, so terms never
 * decrease along the committed log (what step 1 relies on). As belt and braces, a scanner drops a data record whose
 * term is below one it has read.
 *
 * <p>An open that finds a damaged batch among the records it reads in steps 1 and 4 fails with
 * {@code DATA_CORRUPTED}: the newest term cannot be known past it.
 *
 * <p><b>Not fenced at the broker:</b> a stale opener that passed step 1 just before a newer open returned still
 * fences the newer writer in step 2; it then aborts in step 4 and fails, and nothing of either is lost, but the newer
 * writer's appends fail with {@code CHANNEL_FENCED} until the pchannel is opened again (a liveness cost, not a safety
 * one). Truncation ({@code deleteRecords}) carries no producer epoch: a log refuses to truncate once it knows it is
 * fenced, and checks the newest term in the log first.
 *
 * <p>Read-only: no producer and no topic; nothing is written, nobody fenced.
 */
final class KafkaWal implements Wal {
    private final String pchannel;
    private final long term;
    private final AccessMode mode;
    private final KafkaClients clients;
    private final WalTopics topics;
    private final TopicPartition partition;
    private final TransactionalWriter writer;
    private final Consumer<KafkaWal> onClose;
    private final Set<KafkaScanner> scanners = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    KafkaWal(String pchannel, long term, AccessMode mode, KafkaClients clients, WalTopics topics,
             TransactionalWriter writer, Consumer<KafkaWal> onClose) {
        this.pchannel = pchannel;
        this.term = term;
        this.mode = mode;
        this.clients = clients;
        this.topics = topics;
        this.partition = topics.partition(pchannel);
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
        if (closed.get()) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
        long floor = writer == null ? 0 : writer.lastAcknowledged() + 1;
        KafkaScanner s = KafkaScanner.open(clients, pchannel, partition, policy, floor, scanners::remove);
        scanners.add(s);
        if (closed.get()) {
            s.close();
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
        return s;
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
        long newest;
        try (TermProbe probe = new TermProbe(clients, pchannel, partition)) {
            newest = probe.newestTerm().term();
        }
        if (newest > term) {
            throw new StreamingException(ErrorCode.CHANNEL_FENCED, "pchannel " + pchannel + " at term " + term
                    + ": term " + newest + " was opened; truncation is refused");
        }
        topics.truncate(pchannel, upTo);
    }

    @Override
    public boolean isNew() {
        return topics.isNew(pchannel);
    }

    @Override
    public long retainedBytes() {
        return topics.retainedBytes(pchannel);
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
            List.copyOf(scanners).forEach(KafkaScanner::close);
            onClose.accept(this);
        }
    }

    /** As a crash of the process would: the writer stops at once (see {@link TransactionalWriter#crash()}). */
    void crash() {
        closed.set(true);
        if (writer != null) {
            writer.crash();
        }
        List.copyOf(scanners).forEach(KafkaScanner::close);
    }
}
