package io.tidelog.coord;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.VchannelAppender.Ack;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.state.proto.BroadcastAck;
import io.tidelog.state.proto.BroadcastState;
import io.tidelog.state.proto.BroadcastTaskMeta;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends a DDL message to every vchannel of its collection: atomically-eventually, exactly once per
 * vchannel, across coordinator crashes.
 *
 * <pre>
 * meta store                                           per vchannel v of the task
 * coord/broadcast/task/&lt;id&gt;     PENDING ──▶ DONE       append(message on v, key broadcast/&lt;id&gt;/v)
 * coord/broadcast/ack/&lt;id&gt;/&lt;v&gt;  one per acked v         ├─ fails: retry after 10 ms, 20 ms, ... 5 s, forever
 *                                                       └─ appended: persist ack/&lt;id&gt;/v
 * every v acked ─▶ one transaction: task DONE (acks folded in) + the catalog's change + ack keys deleted
 * </pre>
 *
 * <p><b>Durability and resume.</b> The caller persists the task {@code PENDING} together with the catalog
 * change that caused it, so a DDL that returned an id is never lost. On start, every pending task is run
 * again: vchannels with a persisted ack are skipped, the others appended. A vchannel whose append landed
 * but whose ack was not persisted before a crash is appended again with the same idempotency key, and the
 * node answers with the original result without writing (its dedup window, 10 min, must cover the
 * coordinator's downtime): each vchannel gets the message exactly once.
 *
 * <p><b>Tombstones.</b> A DONE task stays in the meta store, with every vchannel's result, until it is
 * older than {@code catalog.broadcast.tombstone.ttl} or more than {@code catalog.broadcast.tombstones}
 * newer ones exist; both are checked whenever a task finishes.
 *
 * <p><b>Threads.</b> Confined to the catalog's single thread: every method runs on it, and append
 * outcomes and retries are handed back to it. Meta-store calls block that thread (they are short).
 */
final class Broadcaster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broadcaster.class);
    static final String TASK_KEYS = "coord/broadcast/task/";
    static final String ACK_KEYS = "coord/broadcast/ack/";
    /** The coordinator builds its own messages; the client checks them against the server's limit. */
    private static final MessageLimits LIMITS = new MessageLimits(MessageLimits.MAX_MAX_MESSAGE_BYTES);

    private final MetaStore meta;
    private final CatalogConfig config;
    private final ScheduledExecutorService thread;
    private final InstantSource clock;
    private final Function<BroadcastTaskMeta, List<Op>> completion;
    private final Map<Long, Running> running = new HashMap<>();
    private final ArrayDeque<Tombstone> tombstones = new ArrayDeque<>();
    private VchannelAppender appender;
    private long appendsSent;
    private boolean paused;
    private boolean closed;

    private record Tombstone(long taskId, long doneMillis) {
    }

    /** A task being broadcast: its acks so far and a backoff per vchannel. */
    private static final class Running {
        final BroadcastTaskMeta task;
        final Map<String, BroadcastAck> acks = new LinkedHashMap<>();
        final Map<String, Backoff> backoffs = new HashMap<>();
        final CompletableFuture<BroadcastTaskMeta> done = new CompletableFuture<>();

        Running(BroadcastTaskMeta task) {
            this.task = task;
        }
    }

    /**
     * @param completion the catalog's change that becomes true with the task (operations applied in the same
     *                   transaction that marks it DONE); called on the catalog thread
     */
    Broadcaster(MetaStore meta, CatalogConfig config, ScheduledExecutorService thread, InstantSource clock,
                Function<BroadcastTaskMeta, List<Op>> completion) {
        this.meta = meta;
        this.config = config;
        this.thread = thread;
        this.clock = clock;
        this.completion = completion;
    }

    static String taskKey(long taskId) {
        return TASK_KEYS + String.format("%020d", taskId);
    }

    static String ackKey(long taskId, String vchannel) {
        return ACK_KEYS + String.format("%020d", taskId) + "/" + vchannel;
    }

    /** The key that makes every append of task {@code taskId} to {@code vchannel} land at most once. */
    static String idempotencyKey(long taskId, String vchannel) {
        return "broadcast/" + taskId + "/" + vchannel;
    }

    /**
     * Reads the persisted tasks: returns the pending ones in id order (the order they were submitted) and
     * remembers the done ones as tombstones.
     */
    List<BroadcastTaskMeta> load() {
        List<BroadcastTaskMeta> pending = new ArrayList<>();
        List<Tombstone> done = new ArrayList<>();
        for (KeyValue kv : meta.scan(TASK_KEYS)) {
            BroadcastTaskMeta t = parseTask(kv);
            if (t.getState() == BroadcastState.BROADCAST_PENDING) {
                pending.add(t);
            } else {
                done.add(new Tombstone(t.getTaskId(), t.getDoneMillis()));
            }
        }
        done.sort((a, b) -> a.doneMillis != b.doneMillis ? Long.compare(a.doneMillis, b.doneMillis)
                : Long.compare(a.taskId, b.taskId));
        tombstones.addAll(done);
        return pending;
    }

    /** From now on appends go through {@code appender}. */
    void bind(VchannelAppender appender) {
        this.appender = appender;
    }

    /**
     * Broadcasts a task persisted {@code PENDING}: the future completes with the task as persisted DONE
     * once every vchannel has the message, or fails with {@code ON_SHUTDOWN} if the broadcaster closes
     * first (the task then resumes on the next start).
     */
    CompletableFuture<BroadcastTaskMeta> run(BroadcastTaskMeta task) {
        if (closed) {
            return CompletableFuture.failedFuture(stopping());
        }
        Running r = new Running(task);
        running.put(task.getTaskId(), r);
        for (KeyValue kv : meta.scan(ACK_KEYS + String.format("%020d", task.getTaskId()) + "/")) {
            BroadcastAck ack = parseAck(kv);
            r.acks.put(ack.getVchannel(), ack);
        }
        if (!r.acks.isEmpty()) {
            LOG.info("broadcast task {} ({} of collection {}) resumes: {} of {} vchannels have it", task.getTaskId(),
                    task.getMessage().getType(), task.getCollection(), r.acks.size(), task.getVchannelsCount());
        }
        if (r.acks.size() == task.getVchannelsCount()) {
            finish(r);
        } else {
            for (String v : task.getVchannelsList()) {
                if (!r.acks.containsKey(v)) {
                    attempt(r, v);
                }
            }
        }
        return r.done;
    }

    private void attempt(Running r, String vchannel) {
        if (closed || paused || r.done.isDone()) {
            return;
        }
        long pauseAfter = config.pauseAfterAppends();
        if (pauseAfter > 0 && appendsSent >= pauseAfter) {
            return; // the test hook holds every further append
        }
        appendsSent++;
        boolean pauseWhenAppended = pauseAfter > 0 && appendsSent == pauseAfter;
        CompletableFuture<Ack> f;
        try {
            f = appender.append(message(r.task, vchannel));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((a, err) -> onThread(() -> appended(r, vchannel, a, err, pauseWhenAppended)));
    }

    private void appended(Running r, String vchannel, Ack a, Throwable err, boolean pauseNow) {
        if (closed || r.done.isDone()) {
            return;
        }
        if (err != null) {
            retryLater(r, vchannel, StreamingException.from(err));
            return;
        }
        if (pauseNow) {
            paused = true;
            LOG.warn("broadcast paused ({} = {}): task {} was appended to {} at {}, its acknowledgement is not persisted",
                    CatalogConfig.PAUSE_AFTER_APPENDS, config.pauseAfterAppends(), r.task.getTaskId(), vchannel, a.id());
            return;
        }
        if (paused) {
            return;
        }
        BroadcastAck ack = BroadcastAck.newBuilder().setVchannel(vchannel).setId(MessageIds.toProto(a.id()))
                .setTimeTick(a.timeTick()).addAllFlushedSegmentIds(a.flushedSegmentIds()).build();
        try {
            meta.put(ackKey(r.task.getTaskId(), vchannel), ack.toByteArray());
        } catch (RuntimeException e) {
            retryLater(r, vchannel, StreamingException.from(e)); // appending again is harmless: same key
            return;
        }
        r.backoffs.remove(vchannel);
        r.acks.put(vchannel, ack);
        if (r.acks.size() == r.task.getVchannelsCount()) {
            finish(r);
        }
    }

    private void retryLater(Running r, String vchannel, StreamingException e) {
        long delay = r.backoffs.computeIfAbsent(vchannel, v -> new Backoff(config.backoffInitial(), config.backoffMax()))
                .nextNanos();
        if (e.isRetriable()) {
            LOG.info("broadcast task {}: append to {} failed ({}); retrying in {} ms", r.task.getTaskId(), vchannel,
                    e.getMessage(), TimeUnit.NANOSECONDS.toMillis(delay));
        } else {
            LOG.warn("broadcast task {}: append to {} failed with a non-retriable error ({}); retrying in {} ms anyway:"
                    + " a DDL must reach every vchannel", r.task.getTaskId(), vchannel, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(delay));
        }
        schedule(() -> attempt(r, vchannel), delay);
    }

    /** Every vchannel acked: one transaction makes the task DONE and the catalog change true. */
    private void finish(Running r) {
        if (closed) {
            return;
        }
        BroadcastTaskMeta.Builder done = r.task.toBuilder().setState(BroadcastState.BROADCAST_DONE)
                .setDoneMillis(clock.millis()).clearAcks();
        for (String v : r.task.getVchannelsList()) {
            done.addAcks(r.acks.get(v));
        }
        BroadcastTaskMeta doneTask = done.build();
        String key = taskKey(doneTask.getTaskId());
        try {
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(key, doneTask.toByteArray()));
            ops.addAll(completion.apply(doneTask));
            for (String v : r.task.getVchannelsList()) {
                ops.add(Op.delete(ackKey(doneTask.getTaskId(), v)));
            }
            if (!meta.txn(List.of(Compare.present(key)), ops, List.of()).succeeded()) {
                LOG.error("broadcast task {}: its key {} vanished before the task was done", doneTask.getTaskId(), key);
            }
        } catch (RuntimeException e) {
            LOG.warn("broadcast task {}: persisting its end failed ({}); retrying", doneTask.getTaskId(), e.toString());
            schedule(() -> finish(r), config.backoffMax().toNanos());
            return;
        }
        running.remove(doneTask.getTaskId());
        tombstones.add(new Tombstone(doneTask.getTaskId(), doneTask.getDoneMillis()));
        pruneTombstones();
        r.done.complete(doneTask);
    }

    private void pruneTombstones() {
        long expired = clock.millis() - config.tombstoneTtl().toMillis();
        while (!tombstones.isEmpty()
                && (tombstones.size() > config.tombstones() || tombstones.peek().doneMillis() < expired)) {
            try {
                meta.delete(taskKey(tombstones.peek().taskId()));
            } catch (RuntimeException e) {
                LOG.warn("removing broadcast tombstone {} failed: {}", tombstones.peek().taskId(), e.toString());
                return;
            }
            tombstones.poll();
        }
    }

    /** The message of {@code task} for one vchannel, with its idempotency key. */
    static MutableMessage message(BroadcastTaskMeta task, String vchannel) {
        MessageEnvelope e = task.getMessage().toBuilder().setVchannel(vchannel)
                .setIdempotencyKey(idempotencyKey(task.getTaskId(), vchannel)).build();
        return MutableMessage.fromEnvelope(e, LIMITS);
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            thread.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the task resumes on the next start
        }
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closing: the outcome is dropped, the task resumes on the next start
        }
    }

    /** Tasks being broadcast now (for tests and status). */
    int runningCount() {
        return running.size();
    }

    /** Stops: running tasks stay PENDING in the meta store, their futures fail with {@code ON_SHUTDOWN}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Running r : running.values()) {
            r.done.completeExceptionally(stopping());
        }
        running.clear();
    }

    private static StreamingException stopping() {
        return StreamingException.onShutdown("the coordinator is stopping; the DDL is persisted and reaches every"
                + " vchannel when the coordinator runs again");
    }

    static BroadcastTaskMeta parseTask(KeyValue kv) {
        try {
            return BroadcastTaskMeta.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key() + " does not hold a broadcast task", e);
        }
    }

    private static BroadcastAck parseAck(KeyValue kv) {
        try {
            return BroadcastAck.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key() + " does not hold a broadcast ack", e);
        }
    }
}
