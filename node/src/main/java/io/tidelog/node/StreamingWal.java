package io.tidelog.node;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TimeTickHeader;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.Wal;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL of one pchannel on a streaming node at one term, over any backend: assigns time ticks,
 * keeps consumers in strict time-tick order, emits TimeTicks, and serves tail reads from memory.
 *
 * <p><b>Order.</b> A message's time tick is taken from the TSO and the message handed to the backend
 * in one critical section, so the log order is the time-tick order: a consumer sees strictly
 * increasing time ticks without any reordering, and concurrent appends are still acknowledged
 * concurrently (the backend's group commit makes them durable together). Acknowledgements are
 * published in log order: an append is acknowledged, and enters the write-ahead buffer, only after
 * every append before it was (the in-flight queue below).
 *
 * <pre>
 *  append ─▶ interceptors ─▶ [lock: time tick, last-confirmed, encode, backend.append, enqueue] ─▶ in-flight
 *  backend ack ─▶ pop the acknowledged prefix of in-flight ─▶ write-ahead buffer ─▶ result future
 * </pre>
 *
 * <p><b>Last confirmed.</b> Every message carries the id of the last message acknowledged when its
 * time tick was assigned; everything after that id in the log has a greater time tick. The first
 * message of a term is a TimeTick written when the pchannel opens; it confirms itself. Extensions may
 * hold the stamped id further back ({@link WalExtension#lastConfirmedLimit}: an open transaction keeps
 * it at or before its BeginTxn); an earlier id keeps the promise, it only makes a resuming reader
 * read more.
 *
 * <p><b>TimeTicks.</b> {@link #tick()} (the node calls it every {@code node.timetick.interval})
 * appends a TimeTick promising that no later message has a time tick at or below its own. It is
 * written to the backend only if data was appended since the last written one; otherwise it only
 * enters the write-ahead buffer, for tailing readers.
 *
 * <p><b>Failure.</b> An append whose outcome is unknown, or a fence by a newer term, makes the WAL
 * unavailable: every later append fails with the same error and the write-ahead buffer closes, so
 * readers go back to the backend, which holds the truth.
 *
 * <p><b>Threads.</b> {@link #append} and {@link #read} from any thread; acknowledgements run on the
 * backend's thread and complete result futures there (callers move heavy work elsewhere); {@link #tick}
 * from the node's ticker. The WAL owns no thread.
 */
public final class StreamingWal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingWal.class);

    private final Wal wal;
    private final TimestampAllocator tso;
    private final WriteAheadBuffer buffer;
    private final List<WalExtension> extensions;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private final List<SwitchableScanner> scanners = new ArrayList<>();
    private final AtomicLong appended = new AtomicLong();

    /** Guarded by appendLock. */
    private boolean dataSinceTick;
    /** Written under the in-flight monitor, read under appendLock. */
    private volatile MessageId lastConfirmed;
    private volatile long lastTimeTick;
    private volatile StreamingException unavailable;
    private volatile boolean closed;

    /** An append on its way to the backend, or a TimeTick that only goes to the buffer. */
    private static final class InFlight {
        final long timeTick;
        final MutableMessage message;
        final int bytes;
        final boolean persisted;
        final CompletableFuture<AppendResult> result;
        boolean done;
        MessageId id;
        Throwable error;

        InFlight(long timeTick, MutableMessage message, int bytes, boolean persisted, CompletableFuture<AppendResult> result) {
            this.timeTick = timeTick;
            this.message = message;
            this.bytes = bytes;
            this.persisted = persisted;
            this.result = result;
        }
    }

    private StreamingWal(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions) {
        this.wal = wal;
        this.tso = tso;
        this.extensions = List.copyOf(extensions);
        this.buffer = new WriteAheadBuffer(config.bufferCapacity(), WriteAheadBuffer.nanos(config.bufferKeepalive()), System::nanoTime);
    }

    /**
     * Starts serving a backend log that was just opened read-write (and so fenced every older term):
     * writes the term's first TimeTick and waits until it is durable, replays the log before it into the
     * extensions, then binds them.
     */
    public static StreamingWal start(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions) {
        StreamingWal w = new StreamingWal(wal, tso, config, extensions);
        MessageId firstTick = w.writeFirstTimeTick(config);
        w.replay(firstTick);
        for (WalExtension e : w.extensions) {
            e.bind(w);
        }
        return w;
    }

    /**
     * Feeds every message before the term's first TimeTick to the extensions, in log order. The WAL
     * does not serve until this is done, so no append can slip between the replayed state and the live one.
     */
    private void replay(MessageId firstTick) {
        if (extensions.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        long messages = 0;
        long bytes = 0;
        try (io.tidelog.wal.WalScanner s = wal.read(io.tidelog.wal.DeliverPolicy.all())) {
            while (true) {
                io.tidelog.wal.LogRecord r = s.poll(java.time.Duration.ofSeconds(30));
                if (r == null) {
                    throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel()
                            + ": replay did not reach the first TimeTick " + firstTick);
                }
                ImmutableMessage m = ImmutableMessage.decode(r.id(), r.payload());
                for (WalExtension e : extensions) {
                    e.observe(m, !r.id().equals(firstTick));
                }
                if (r.id().equals(firstTick)) {
                    break;
                }
                messages++;
                bytes += r.payload().remaining();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while replaying pchannel " + pchannel());
        }
        LOG.info("pchannel {} term {}: replayed {} messages ({} bytes) in {} ms", pchannel(), term(), messages, bytes,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private MessageId writeFirstTimeTick(NodeConfig config) {
        long tt = tso.next();
        MutableMessage tick = timeTick().withTimeTick(tt).withTerm(wal.term());
        byte[] record = tick.encode();
        MessageId id;
        try {
            id = wal.append(ByteBuffer.wrap(record)).get(config.openTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (TimeoutException e) {
            throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel() + ": the first TimeTick was not durable within "
                    + config.openTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while opening pchannel " + pchannel());
        }
        lastConfirmed = id;
        lastTimeTick = tt;
        appended.incrementAndGet();
        buffer.append(tick.intoImmutable(id), record.length, true);
        return id;
    }

    private MutableMessage timeTick() {
        return MutableMessage.builder(MessageType.TIME_TICK, pchannel()).header(TimeTickHeader.getDefaultInstance()).build();
    }

    public String pchannel() {
        return wal.pchannel();
    }

    public long term() {
        return wal.term();
    }

    /** The largest encoded message (with the node's fields) the backend stores. */
    public int maxRecordBytes() {
        return wal.maxRecordBytes();
    }

    /**
     * Appends a message of this pchannel. The future completes once the message is durable, with its
     * id, time tick and last-confirmed id; or fails: {@code INVALID_ARGUMENT} (nothing written),
     * {@code CHANNEL_FENCED}, {@code ON_SHUTDOWN}, or another code from the backend.
     */
    public CompletableFuture<AppendResult> append(MutableMessage message) {
        if (!pchannel().equals(message.pchannel())) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("message of vchannel "
                    + message.vchannel() + " does not belong to pchannel " + pchannel()));
        }
        return next(0).append(message);
    }

    private AppendInterceptor.Next next(int index) {
        if (index == extensions.size()) {
            return this::appendInOrder;
        }
        return m -> extensions.get(index).append(m, next(index + 1));
    }

    /**
     * Appends a message the node itself emits (a self-controlled or system type: CreateSegment, Flush,
     * RollbackTxn...) past the extensions' interceptors, straight into the ordered path.
     */
    public CompletableFuture<AppendResult> appendSystem(MutableMessage message) {
        if (!pchannel().equals(message.pchannel())) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("message of vchannel "
                    + message.vchannel() + " does not belong to pchannel " + pchannel()));
        }
        return appendInOrder(message);
    }

    private CompletableFuture<AppendResult> appendInOrder(MutableMessage message) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        MutableMessage stamped;
        appendLock.lock();
        try {
            StreamingException down = availability();
            if (down != null) {
                return CompletableFuture.failedFuture(down);
            }
            long tt = allocateAbove(message.barrierTimeTick());
            stamped = message.withTimeTick(tt).withLastConfirmedId(confirmedForStamp()).withTerm(term());
            byte[] record = stamped.encode();
            InFlight entry = new InFlight(tt, stamped, record.length, true, result);
            synchronized (inFlight) {
                inFlight.add(entry);
            }
            dataSinceTick = true;
            wal.append(ByteBuffer.wrap(record)).whenComplete((id, err) -> acknowledged(entry, id, err));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(StreamingException.from(e));
        } finally {
            appendLock.unlock();
        }
        // Build the merged envelope here, on the appender's thread, so the acknowledgement path (the
        // backend's writer thread) finds it ready when it publishes the message to the buffer.
        stamped.envelope();
        return result;
    }

    /**
     * The last-confirmed id to stamp now: the WAL's, held back by the extensions' limits
     * ({@link WalExtension#lastConfirmedLimit}). Read in that order, under appendLock.
     */
    private MessageId confirmedForStamp() {
        MessageId confirmed = lastConfirmed;
        for (WalExtension x : extensions) {
            MessageId limit = x.lastConfirmedLimit();
            if (limit != null && limit.isBefore(confirmed)) {
                confirmed = limit;
            }
        }
        return confirmed;
    }

    private long allocateAbove(long barrier) {
        long tt = tso.next();
        if (tt <= barrier) {
            // The barrier came from the same TSO, so it was issued before: a fresh timestamp exceeds it.
            throw StreamingException.invalidArgument("barrier time tick " + barrier + " lies ahead of the TSO (" + tt + ")");
        }
        return tt;
    }

    /**
     * Emits a TimeTick: written to the backend if data was appended since the last written one,
     * otherwise only into the write-ahead buffer. Also evicts expired buffer entries.
     */
    public void tick() {
        buffer.evictExpired();
        long tt;
        appendLock.lock();
        try {
            if (availability() != null) {
                return;
            }
            tt = tso.next();
            MutableMessage tick = timeTick().withTimeTick(tt).withLastConfirmedId(confirmedForStamp()).withTerm(term());
            if (dataSinceTick) {
                byte[] record = tick.encode();
                InFlight entry = new InFlight(tt, tick, record.length, true, new CompletableFuture<>());
                synchronized (inFlight) {
                    inFlight.add(entry);
                }
                dataSinceTick = false;
                wal.append(ByteBuffer.wrap(record)).whenComplete((id, err) -> acknowledged(entry, id, err));
            } else {
                InFlight entry = new InFlight(tt, tick, tick.serializedSize(), false, null);
                synchronized (inFlight) {
                    inFlight.add(entry);
                }
                acknowledged(entry, null, null);
            }
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: time tick failed: {}", pchannel(), e.toString());
            return;
        } finally {
            appendLock.unlock();
        }
        for (WalExtension x : extensions) {
            try {
                x.onTimeTick(tt);
            } catch (RuntimeException e) {
                LOG.warn("pchannel {}: extension {} failed at time tick {}: {}", pchannel(), x.getClass().getSimpleName(), tt, e.toString());
            }
        }
    }

    /** Records one outcome, then publishes the prefix of the in-flight queue that is complete, in order. */
    private void acknowledged(InFlight entry, MessageId id, Throwable error) {
        List<Runnable> completions = new ArrayList<>();
        synchronized (inFlight) {
            entry.done = true;
            entry.id = id;
            entry.error = error;
            InFlight head;
            while ((head = inFlight.peek()) != null && head.done) {
                inFlight.poll();
                publish(head, completions);
            }
        }
        completions.forEach(Runnable::run);
    }

    /** Called in log order under the in-flight monitor. */
    private void publish(InFlight e, List<Runnable> completions) {
        if (e.error != null) {
            StreamingException cause = StreamingException.from(e.error);
            if (!nothingWritten(cause.code())) {
                becomeUnavailable(cause);
            }
            if (e.result != null) {
                completions.add(() -> e.result.completeExceptionally(cause));
            }
            return;
        }
        if (unavailable != null) {
            // After an unknown outcome the buffer is closed and later results must not pretend order.
            if (e.result != null) {
                StreamingException down = unavailable;
                completions.add(() -> e.result.completeExceptionally(down));
            }
            return;
        }
        MessageId at = e.persisted ? e.id : lastConfirmed;
        ImmutableMessage published = e.message.intoImmutable(at);
        buffer.append(published, e.bytes, e.persisted);
        for (WalExtension x : extensions) {
            try {
                x.observe(published, false);
            } catch (RuntimeException failure) {
                LOG.error("pchannel {}: extension {} failed on {}", pchannel(), x.getClass().getSimpleName(), published.id(), failure);
            }
        }
        lastTimeTick = e.timeTick;
        if (e.persisted) {
            MessageId confirmed = e.message.lastConfirmedId();
            lastConfirmed = e.id;
            appended.incrementAndGet();
            if (e.result != null) {
                AppendResult r = new AppendResult(e.id, e.timeTick, confirmed);
                completions.add(() -> e.result.complete(r));
            }
        }
    }

    private static boolean nothingWritten(ErrorCode code) {
        return code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.RESOURCE_EXHAUSTED
                || code == ErrorCode.READ_ONLY;
    }

    private void becomeUnavailable(StreamingException cause) {
        if (unavailable == null) {
            unavailable = cause.isFenced() ? cause : new StreamingException(cause.code(), "pchannel " + pchannel()
                    + " at term " + term() + " stopped after a failed append: " + cause.detail(), cause);
            LOG.warn("pchannel {} term {}: unavailable: {}", pchannel(), term(), cause.getMessage());
            buffer.close();
        }
    }

    private StreamingException availability() {
        if (closed) {
            return StreamingException.onShutdown("pchannel " + pchannel() + " at term " + term() + " is closed");
        }
        return unavailable;
    }

    /** Whether appends are accepted: not closed, fenced or failed. */
    public boolean isAvailable() {
        return availability() == null;
    }

    /** Opens a scanner; see {@link ReadOptions}. Throws {@code OUT_OF_RANGE} for a truncated start. */
    public MessageScanner read(ReadOptions options) {
        synchronized (scanners) {
            if (closed) {
                throw StreamingException.onShutdown("pchannel " + pchannel() + " is closed");
            }
            SwitchableScanner s = new SwitchableScanner(wal, buffer, options, lastConfirmed, this::forget);
            scanners.add(s);
            return s;
        }
    }

    private void forget(SwitchableScanner s) {
        synchronized (scanners) {
            scanners.remove(s);
        }
    }

    public WalStatus status() {
        int pending;
        synchronized (inFlight) {
            pending = inFlight.size();
        }
        return new WalStatus(pchannel(), term(), isAvailable(), lastTimeTick, lastConfirmed, pending,
                buffer.entries(), buffer.bytes(), appended.get());
    }

    /** The time tick of the last message published (a data message or a TimeTick). */
    public long lastTimeTick() {
        return lastTimeTick;
    }

    /** Stops appends, waits for accepted ones, closes scanners and the backend log. Idempotent. */
    @Override
    public void close() {
        List<SwitchableScanner> open;
        appendLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            appendLock.unlock();
        }
        synchronized (scanners) {
            open = new ArrayList<>(scanners);
        }
        wal.close(); // completes every accepted append
        open.forEach(SwitchableScanner::close);
        buffer.close();
        for (WalExtension x : extensions) {
            x.close();
        }
    }

    static boolean isDataType(MessageType type) {
        return !MessageKind.isPchannelWide(type);
    }
}
