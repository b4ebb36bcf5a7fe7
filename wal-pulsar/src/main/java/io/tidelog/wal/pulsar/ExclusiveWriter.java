package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.ByteBudget;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * The append path of one pchannel at one term, over the pchannel's exclusive producer: each append is sent at once
 * ({@code sendAsync}, in the order appends arrive); the client gathers the sends that wait together into one batch,
 * one entry, one round trip (up to {@code batch.max.bytes}/{@code batch.max.records}, held open at most
 * {@code batch.delay}).
 *
 * <p><b>Durability point:</b> the broker's receipt: the entry is written to the ledger's write quorum and acknowledged
 * by its ack quorum of bookies (each bookie's journal synced, by default).
 *
 * <p><b>Failures.</b> The producer's sends complete in order, so a failure ends the writer: every later append fails
 * alike (reopen the pchannel).
 * <ul>
 *   <li>fenced ({@code ProducerFencedException}): a newer term's exclusive producer took the topic. A send in flight
 *       may have landed before the fence all the same (the broker closed this producer with its receipt on the way):
 *       the writer then reads the log after its last acknowledged record up to the first record of another producer
 *       (the newer term's TERM record) and acknowledges every in-flight send it finds there (each lies before the
 *       newer term's records); one it does not find failed with {@code CHANNEL_FENCED}, nothing written. If the end
 *       cannot be read in time, the outcome is unknown ({@code INNER});</li>
 *   <li>anything else (a send's deadline, a lost connection the client gave up on, a closed producer) hides whether
 *       the record landed: {@code TIMEOUT}, {@code INNER} or {@code ON_SHUTDOWN}, never a nothing-written code.</li>
 * </ul>
 *
 * <p><b>Resent records.</b> When its connection drops, the client sends again, on the next connection, every record
 * whose receipt it has not had; one that had landed is then stored twice, and the receipt names the second copy. (The
 * client drops a whole connection on some send errors, so one fenced producer can make the others of its node resend.)
 * Scanners deliver the first copy only ({@link PulsarScanner}), so an append must be acknowledged with the first
 * copy's id, or a reader that moves from the log to the node's write-ahead buffer by id would meet the record again.
 * A receipt that arrives after a disconnection later than the send is therefore checked: the log is read after the
 * last acknowledged record for the first record of this producer with the append's sequence number, and that id is
 * the acknowledgement. Acknowledgements stay in send order: while one is checked, those behind it wait. If the log
 * cannot be read in time, the writer ends with an unknown outcome ({@code INNER}) rather than acknowledge a copy.
 *
 * <p><b>Back-pressure:</b> accepted but unacknowledged bytes are bounded by {@code buffer.max.bytes}; an append waits
 * up to {@code append.timeout} for room, then fails with {@code RESOURCE_EXHAUSTED} (nothing written).
 *
 * <p><b>Threads:</b> appenders on any thread (a lock orders their sends); futures complete on the client's threads,
 * except those settled after a fence, which complete on the settling thread
 * ({@code wal-pulsar-settle-<pchannel>-t<term>}), and those queued while a receipt is checked, which complete on the
 * checking thread ({@code wal-pulsar-check-<pchannel>-t<term>}).
 */
final class ExclusiveWriter implements AutoCloseable {
    private final String pchannel;
    private final long term;
    private final PulsarClients clients;
    private final Producer<byte[]> producer;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBudget budget;
    /** Sent and not yet completed, in send (sequence) order; under the lock. Receipts come in that order too. */
    private final Map<Long, Pending> inFlight = new LinkedHashMap<>();
    private long nextSequence = 1;
    private StreamingException terminal;
    private boolean closing;
    private boolean settling;
    private volatile org.apache.pulsar.client.api.MessageId lastAcknowledged;
    /** Receipts waiting for the one being checked (see the class comment), in send order; under the lock. */
    private final ArrayDeque<Receipt> checking = new ArrayDeque<>();

    /**
     * @param disconnectedBefore the producer's last disconnection when the record was sent: a later one means the
     *                           client may have sent it again
     */
    private record Pending(long sequence, int bytes, long disconnectedBefore,
                           CompletableFuture<org.apache.pulsar.client.api.MessageId> send,
                           CompletableFuture<MessageId> future) {
    }

    private record Receipt(Pending pending, org.apache.pulsar.client.api.MessageId id, boolean maybeResent) {
    }

    ExclusiveWriter(String pchannel, long term, PulsarClients clients, TermFence.Claim claim) {
        this.pchannel = pchannel;
        this.term = term;
        this.clients = clients;
        this.producer = claim.producer();
        this.lastAcknowledged = claim.termRecord();
        PulsarWalConfig c = clients.config();
        this.budget = new ByteBudget(lock, pchannel, c.bufferMaxBytes(), PulsarWalConfig.BUFFER_MAX_BYTES,
                c.appendTimeout(), "the brokers");
    }

    CompletableFuture<MessageId> append(ByteBuffer record) {
        int length = record.remaining();
        int max = clients.config().maxRecordBytes();
        if (length > max) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of " + length
                    + " bytes exceeds the limit of " + max + " bytes (" + PulsarWalConfig.MAX_RECORD_BYTES + ")"));
        }
        TypedMessageBuilder<byte[]> message = RecordHeader.data(producer.newMessage(), term, record);
        Pending p;
        lock.lock();
        try {
            StreamingException refused = budget.reserve(length, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            long sequence = nextSequence++;
            long disconnectedBefore = producer.getLastDisconnectedTimestamp();
            p = new Pending(sequence, length, disconnectedBefore, message.sequenceId(sequence).sendAsync(),
                    new CompletableFuture<>());
            inFlight.put(sequence, p);
        } finally {
            lock.unlock();
        }
        p.send.whenComplete((id, err) -> sent(p, id, err));
        return p.future;
    }

    /** When the producer's connection last dropped (epoch milliseconds), or 0 if it never did. */
    long lastDisconnectedMillis() {
        return producer.getLastDisconnectedTimestamp();
    }

    /** Why appends are not taken now, or null. Called under the lock. */
    private StreamingException refusal() {
        if (terminal != null) {
            return terminal;
        }
        return closing ? StreamingException.onShutdown("pchannel " + pchannel + " is closed") : null;
    }

    private void sent(Pending p, org.apache.pulsar.client.api.MessageId id, Throwable err) {
        if (err == null) {
            acknowledge(new Receipt(p, id, producer.getLastDisconnectedTimestamp() != p.disconnectedBefore));
            return;
        }
        if (PulsarErrors.isFenced(err)) {
            startSettling();
            return;
        }
        if (PulsarErrors.unwrap(err) instanceof PulsarClientException.InvalidMessageException) {
            // Refused by the client before it was queued (larger than the broker's maxMessageSize): never sent.
            done(p);
            p.future.completeExceptionally(StreamingException.invalidArgument("pchannel " + pchannel + ": a record of "
                    + p.bytes + " bytes is refused by the Pulsar client (" + PulsarErrors.unwrap(err).getMessage()
                    + "); the broker's maxMessageSize must admit " + PulsarWalConfig.MAX_RECORD_BYTES));
            return;
        }
        StreamingException unknown = PulsarErrors.toStreaming("pchannel " + pchannel + " at term " + term
                + ": an append's outcome is unknown", err);
        if (!unknown.code().isOutcomeUnknown()) {
            unknown = new StreamingException(ErrorCode.UNKNOWN, unknown.getMessage(), err);
        }
        becomeTerminal(unknown);
        done(p);
        p.future.completeExceptionally(unknown);
    }

    /** Completes the append with its receipt's id, or queues the receipt behind one being checked. */
    private void acknowledge(Receipt r) {
        lock.lock();
        try {
            if (r.maybeResent || !checking.isEmpty()) {
                checking.add(r);
                if (checking.size() == 1) {
                    Thread t = new Thread(this::checkReceipts, "wal-pulsar-check-" + pchannel + "-t" + term);
                    t.setDaemon(true);
                    t.start();
                }
                return;
            }
            acknowledged(r.pending, r.id); // under the one lock the receipt takes
        } finally {
            lock.unlock();
        }
        r.pending.future.complete(PulsarIds.of(r.id));
    }

    private void complete(Pending p, org.apache.pulsar.client.api.MessageId id) {
        lock.lock();
        try {
            acknowledged(p, id);
        } finally {
            lock.unlock();
        }
        p.future.complete(PulsarIds.of(id));
    }

    /** Notes {@code p} acknowledged at {@code id}: the position reads after it start from. Called under the lock. */
    private void acknowledged(Pending p, org.apache.pulsar.client.api.MessageId id) {
        lastAcknowledged = id;
        release(p);
    }

    /**
     * Completes the queued receipts in order, each one that may have been resent with its first copy's id, found by
     * one forward read of the log for the whole run (a disconnection can leave a whole window of receipts to check).
     */
    private void checkReceipts() {
        CopyScan scan = null;
        try {
            while (true) {
                Receipt r;
                lock.lock();
                try {
                    r = checking.peek();
                } finally {
                    lock.unlock();
                }
                if (r == null) {
                    return;
                }
                if (!r.maybeResent) {
                    complete(r.pending, r.id);
                } else {
                    try {
                        if (scan == null) {
                            scan = new CopyScan();
                        }
                        complete(r.pending, scan.firstCopy(r.pending.sequence, r.id));
                    } catch (StreamingException e) {
                        StreamingException unknown = StreamingException.inner("pchannel " + pchannel + " at term "
                                + term + ": an append landed, but whether the client stored it twice (it was sent again"
                                + " on a new connection) cannot be read (outcome unknown)", e);
                        becomeTerminal(unknown);
                        done(r.pending);
                        r.pending.future.completeExceptionally(unknown);
                    }
                }
                lock.lock();
                try {
                    checking.poll();
                    if (checking.isEmpty()) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            if (scan != null) {
                scan.close();
            }
        }
    }

    /**
     * One forward read of the log from the last acknowledged record, for the checking thread alone: the first copy of
     * each of this writer's records, asked for in sequence order.
     */
    private final class CopyScan implements AutoCloseable {
        private final String me = producer.getProducerName();
        private final Reader<byte[]> reader = clients.reader(pchannel, lastAcknowledged, false);
        /** First copies of this writer's records read ahead of their turn, by sequence number. */
        private final Map<Long, org.apache.pulsar.client.api.MessageId> ahead = new HashMap<>();
        private org.apache.pulsar.client.api.MessageId position;

        /** The id of the first copy of record {@code sequence}: the receipt's own id unless an earlier one landed. */
        org.apache.pulsar.client.api.MessageId firstCopy(long sequence, org.apache.pulsar.client.api.MessageId receipt) {
            org.apache.pulsar.client.api.MessageId seen = ahead.remove(sequence);
            if (seen != null) {
                return seen;
            }
            long deadline = System.nanoTime() + clients.config().blockTimeout().toNanos();
            while (position == null || position.compareTo(receipt) < 0) {
                Message<byte[]> m = next(reader, deadline, "the acknowledged record");
                position = m.getMessageId();
                if (me.equals(m.getProducerName())) {
                    long s = m.getSequenceId();
                    if (s == sequence) {
                        return position;
                    }
                    if (s > sequence) {
                        ahead.putIfAbsent(s, position);
                    }
                }
            }
            return receipt;
        }

        @Override
        public void close() {
            reader.closeAsync();
        }
    }

    private void done(Pending p) {
        lock.lock();
        try {
            release(p);
        } finally {
            lock.unlock();
        }
    }

    /** Forgets a completed append and frees its bytes of the budget. Called under the lock. */
    private void release(Pending p) {
        inFlight.remove(p.sequence);
        budget.release(p.bytes);
    }

    private void becomeTerminal(StreamingException e) {
        lock.lock();
        try {
            if (terminal == null) {
                terminal = e;
            }
            budget.wakeAll();
        } finally {
            lock.unlock();
        }
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

    private void startSettling() {
        lock.lock();
        try {
            if (settling) {
                return;
            }
            settling = true;
            if (terminal == null) {
                terminal = new StreamingException(ErrorCode.CHANNEL_FENCED, "pchannel " + pchannel + " at term " + term
                        + ": fenced by a newer term at the broker");
            }
            budget.wakeAll();
        } finally {
            lock.unlock();
        }
        Thread t = new Thread(this::settle, "wal-pulsar-settle-" + pchannel + "-t" + term);
        t.setDaemon(true);
        t.start();
    }

    /**
     * After a fence: waits for every send made before it to complete, then reads which of the fenced ones landed
     * (see the class comment) and completes them.
     */
    private void settle() {
        List<Pending> all;
        lock.lock();
        try {
            all = new ArrayList<>(inFlight.values());
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + clients.config().blockTimeout().toNanos();
        List<Pending> fenced = new ArrayList<>();
        for (Pending p : all) {
            try {
                p.send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                if (PulsarErrors.isFenced(e)) {
                    fenced.add(p);
                }
            }
        }
        Map<Long, org.apache.pulsar.client.api.MessageId> landed = new HashMap<>();
        StreamingException unreadable = null;
        if (!fenced.isEmpty()) {
            try {
                readLanded(landed, deadline);
            } catch (StreamingException e) {
                unreadable = StreamingException.inner("pchannel " + pchannel + " at term " + term + ": fenced with"
                        + " appends in flight, and which of them landed cannot be read (outcome unknown)", e);
            }
        }
        StreamingException fence = terminal();
        for (Pending p : fenced) {
            done(p);
            org.apache.pulsar.client.api.MessageId id = landed.get(p.sequence);
            if (id != null) {
                p.future.complete(PulsarIds.of(id));
            } else {
                p.future.completeExceptionally(unreadable != null ? unreadable : fence);
            }
        }
    }

    /** Reads this producer's records after its last acknowledged one, up to the first record of another producer. */
    private void readLanded(Map<Long, org.apache.pulsar.client.api.MessageId> landed, long deadline) {
        String me = producer.getProducerName();
        readAfterAcknowledged(deadline, "a record of the newer term", m -> {
            if (!me.equals(m.getProducerName())) {
                return false;
            }
            landed.putIfAbsent(m.getSequenceId(), m.getMessageId()); // a resent record: its first copy
            return true;
        });
    }

    /**
     * Reads the log after the last acknowledged record, handing each record to {@code visit} until it answers false;
     * {@code TIMEOUT} naming {@code awaited} if the log ends first and stays so up to {@code deadline}.
     */
    private void readAfterAcknowledged(long deadline, String awaited, Predicate<Message<byte[]>> visit) {
        try (Reader<byte[]> r = clients.reader(pchannel, lastAcknowledged, false)) {
            while (visit.test(next(r, deadline, awaited))) {
                // the visitor asks for the next record
            }
        } catch (java.io.IOException e) {
            throw StreamingException.inner("closing a reader of pchannel " + pchannel + " failed: " + e, e);
        }
    }

    /**
     * The next record of {@code reader}; {@code TIMEOUT} naming {@code awaited} if none comes by {@code deadline}
     * ({@link System#nanoTime}), {@code INNER} if reading fails.
     */
    private Message<byte[]> next(Reader<byte[]> reader, long deadline, String awaited) {
        long left = deadline - System.nanoTime();
        Message<byte[]> m;
        try {
            m = left <= 0 ? null : reader.readNext((int) TimeUnit.NANOSECONDS.toMillis(left) + 1,
                    TimeUnit.MILLISECONDS);
        } catch (PulsarClientException e) {
            throw StreamingException.inner("reading pchannel " + pchannel + " failed: " + e, e);
        }
        if (m == null) {
            throw new StreamingException(ErrorCode.TIMEOUT, awaited + " was not read within the deadline");
        }
        return m;
    }

    /** Stops accepting appends, waits for those accepted to complete (up to the deadline), closes the producer. */
    @Override
    public void close() {
        List<Pending> pending;
        lock.lock();
        try {
            closing = true;
            budget.wakeAll();
            pending = new ArrayList<>(inFlight.values());
        } finally {
            lock.unlock();
        }
        producer.flushAsync();
        long deadline = System.nanoTime() + clients.config().blockTimeout().toNanos();
        for (Pending p : pending) {
            try {
                p.future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // completed exceptionally, or not in time: the close below fails what is left
            }
        }
        try {
            producer.closeAsync().get(clients.blockMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the broker releases the producer when the connection goes
        }
    }

    /** As a crash would: the producer is closed at once; what was in flight fails with an unknown outcome. */
    void crash() {
        lock.lock();
        try {
            closing = true;
            budget.wakeAll();
        } finally {
            lock.unlock();
        }
        producer.closeAsync();
    }
}
