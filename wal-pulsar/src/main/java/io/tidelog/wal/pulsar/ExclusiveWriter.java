package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.ByteBudget;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;

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
 * <p><b>Back-pressure:</b> accepted but unacknowledged bytes are bounded by {@code buffer.max.bytes}; an append waits
 * up to {@code append.timeout} for room, then fails with {@code RESOURCE_EXHAUSTED} (nothing written).
 *
 * <p><b>Threads:</b> appenders on any thread (a lock orders their sends); futures complete on the client's threads,
 * except those settled after a fence, which complete on the settling thread
 * ({@code wal-pulsar-settle-<pchannel>-t<term>}).
 */
final class ExclusiveWriter implements AutoCloseable {
    private final String pchannel;
    private final long term;
    private final PulsarClients clients;
    private final Producer<byte[]> producer;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBudget budget;
    private final TreeMap<Long, Pending> inFlight = new TreeMap<>();
    private long nextSequence = 1;
    private StreamingException terminal;
    private boolean closing;
    private boolean settling;
    private volatile org.apache.pulsar.client.api.MessageId lastAcknowledged;

    private record Pending(long sequence, int bytes, CompletableFuture<org.apache.pulsar.client.api.MessageId> send,
                           CompletableFuture<MessageId> future) {
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
        byte[] value = new byte[length];
        record.duplicate().get(value);
        Pending p;
        lock.lock();
        try {
            StreamingException refused = budget.reserve(length, this::refusal);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            long sequence = nextSequence++;
            p = new Pending(sequence, length, RecordProperties.data(producer.newMessage(), term, sequence, value)
                    .sendAsync(), new CompletableFuture<>());
            inFlight.put(sequence, p);
        } finally {
            lock.unlock();
        }
        p.send.whenComplete((id, err) -> sent(p, id, err));
        return p.future;
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
            lastAcknowledged = id;
            done(p);
            p.future.complete(PulsarIds.of(id));
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

    private void done(Pending p) {
        lock.lock();
        try {
            inFlight.remove(p.sequence);
            budget.release(p.bytes);
        } finally {
            lock.unlock();
        }
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
        try (Reader<byte[]> r = clients.reader(pchannel, lastAcknowledged, false)) {
            while (true) {
                long left = deadline - System.nanoTime();
                Message<byte[]> m = left <= 0 ? null : r.readNext((int) TimeUnit.NANOSECONDS.toMillis(left) + 1,
                        TimeUnit.MILLISECONDS);
                if (m == null) {
                    throw new StreamingException(ErrorCode.TIMEOUT, "no record of the newer term within the deadline");
                }
                if (!me.equals(m.getProducerName())) {
                    return;
                }
                landed.put(RecordProperties.sequenceOf(m), m.getMessageId());
            }
        } catch (java.io.IOException e) {
            throw StreamingException.inner("reading pchannel " + pchannel + " failed: " + e, e);
        }
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
