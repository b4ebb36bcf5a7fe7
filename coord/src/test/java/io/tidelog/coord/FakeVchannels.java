package io.tidelog.coord;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.VchannelAppender.Ack;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Vchannels in memory, as the broadcaster sees them through its appender: appends land in a per-vchannel list,
 * a retried idempotency key returns the original result and writes nothing (the node's contract), failures
 * can be injected, and appends can be held unanswered. Thread-safe (one monitor).
 */
final class FakeVchannels implements VchannelAppender {
    private final Map<String, List<MutableMessage>> logs = new HashMap<>();
    private final Map<String, Ack> byKey = new HashMap<>();
    private final List<CompletableFuture<Ack>> held = new ArrayList<>();
    private final List<Runnable> heldWork = new ArrayList<>();
    private final Map<String, List<Long>> flushedSegments = new HashMap<>();
    private BiFunction<MutableMessage, Integer, StreamingException> failure = (m, attempt) -> null;
    private final Map<String, Integer> attempts = new HashMap<>();
    private boolean hold;
    private long nextOffset;
    private int calls;

    @Override
    public synchronized CompletableFuture<Ack> append(MutableMessage m) {
        calls++;
        int attempt = attempts.merge(m.idempotencyKey() == null ? m.vchannel() : m.idempotencyKey(), 1, Integer::sum);
        StreamingException e = failure.apply(m, attempt);
        if (e != null) {
            return CompletableFuture.failedFuture(e);
        }
        if (hold) {
            CompletableFuture<Ack> f = new CompletableFuture<>();
            held.add(f);
            heldWork.add(() -> f.complete(write(m)));
            return f;
        }
        return CompletableFuture.completedFuture(write(m));
    }

    private synchronized Ack write(MutableMessage m) {
        String key = m.idempotencyKey();
        if (key != null && byKey.containsKey(key)) {
            return byKey.get(key);
        }
        logs.computeIfAbsent(m.vchannel(), v -> new ArrayList<>()).add(m);
        long offset = nextOffset++;
        List<Long> flushed = m.type() == MessageType.MANUAL_FLUSH
                ? flushedSegments.getOrDefault(m.vchannel(), List.of()) : List.of();
        Ack a = new Ack(new MessageId(0, offset), offset + 1, flushed);
        if (key != null) {
            byKey.put(key, a);
        }
        return a;
    }

    /** Failure of the attempt-th append of a key (or vchannel without key); null to let it through. */
    synchronized void failWhen(BiFunction<MutableMessage, Integer, StreamingException> f) {
        this.failure = f;
    }

    /** Fails the first {@code n} attempts of every message with a retriable error. */
    void failFirstAttempts(int n) {
        failWhen((m, attempt) -> attempt <= n ? new StreamingException(ErrorCode.ON_SHUTDOWN, "injected") : null);
    }

    synchronized void hold(boolean hold) {
        this.hold = hold;
    }

    synchronized int heldCount() {
        return held.size();
    }

    /** Lets every held append land, in the order they were made. */
    void releaseHeld() {
        List<Runnable> work;
        synchronized (this) {
            hold = false;
            work = new ArrayList<>(heldWork);
            heldWork.clear();
            held.clear();
        }
        work.forEach(Runnable::run);
    }

    synchronized void flushes(String vchannel, List<Long> segments) {
        flushedSegments.put(vchannel, segments);
    }

    synchronized List<MutableMessage> log(String vchannel) {
        return List.copyOf(logs.getOrDefault(vchannel, List.of()));
    }

    synchronized List<MessageType> types(String vchannel) {
        return log(vchannel).stream().map(MutableMessage::type).toList();
    }

    synchronized int calls() {
        return calls;
    }

    synchronized int messages() {
        return logs.values().stream().mapToInt(List::size).sum();
    }
}
