package io.tidelog.node.extension;

import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.node.WalMetrics;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.state.proto.DedupEntryProto;
import io.tidelog.state.proto.DedupStateProto;
import io.tidelog.tso.HybridTimestamps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Idempotent appends: a message carrying an idempotency key that was already appended to its
 * vchannel is not written again; the retry gets the original result. This is what lets a producer
 * retry an append whose outcome it does not know (its connection broke after the append, before the
 * acknowledgement) without writing a duplicate.
 *
 * <ul>
 *   <li>A key is remembered for {@link DedupConfig#window()} after its append, measured in time-tick
 *       time, and at most {@link DedupConfig#maxEntries()} keys per pchannel (the oldest go first).</li>
 *   <li>A retry arriving while the first append is still in flight waits for it and gets its outcome.</li>
 *   <li>The window survives restarts: it is rebuilt from the log on open (every appended message
 *       carries its key), so a retry after a crash or a move of the pchannel is still recognised.</li>
 *   <li>A first append that fails is forgotten: nothing of it was published, and a retry writes it.</li>
 * </ul>
 *
 * <p>Keys are per vchannel. It is the outermost extension, so a recognised retry takes no lock and
 * passes no check: it already did, the first time.
 */
public final class DedupWindow implements WalExtension {
    private final DedupConfig config;
    /** Published keys in append order (time-tick order), with their results. Guarded by this. */
    private final LinkedHashMap<Key, Remembered> published = new LinkedHashMap<>();
    /** Keys whose first append is in flight, with the retries waiting for it. Guarded by this. */
    private final Map<Key, List<CompletableFuture<AppendResult>>> inFlight = new HashMap<>();

    private record Key(String vchannel, String key) {
    }

    private record Remembered(AppendResult result, long physicalMillis) {
    }

    /** Where hits are counted: the WAL's, once bound. */
    private volatile WalMetrics metrics = WalMetrics.NONE;

    public DedupWindow(DedupConfig config) {
        this.config = config;
    }

    /** A message without a key passes untouched; a keyed one is looked up in {@link #append}. */
    @Override
    public boolean isPlain(MutableMessage message) {
        return message.idempotencyKey() == null || config.maxEntries() == 0;
    }

    @Override
    public void bind(StreamingWal wal) {
        metrics = wal.metrics();
    }

    @Override
    public CompletableFuture<AppendResult> append(MutableMessage message, Next next) {
        String k = message.idempotencyKey();
        if (k == null || config.maxEntries() == 0) {
            return next.append(message);
        }
        Key key = new Key(message.vchannel(), k);
        synchronized (this) {
            Remembered r = published.get(key);
            if (r != null) {
                metrics.deduplicated();
                return CompletableFuture.completedFuture(r.result);
            }
            List<CompletableFuture<AppendResult>> waiting = inFlight.get(key);
            if (waiting != null) {
                metrics.deduplicated();
                CompletableFuture<AppendResult> retry = new CompletableFuture<>();
                waiting.add(retry);
                return retry;
            }
            inFlight.put(key, new ArrayList<>());
        }
        CompletableFuture<AppendResult> first;
        try {
            first = next.append(message);
        } catch (RuntimeException e) {
            first = CompletableFuture.failedFuture(e);
        }
        return first.whenComplete((result, error) -> settle(key, result, error));
    }

    private void settle(Key key, AppendResult result, Throwable error) {
        List<CompletableFuture<AppendResult>> waiting;
        synchronized (this) {
            waiting = inFlight.remove(key);
            if (result != null) {
                remember(key, result);
            }
        }
        if (waiting != null) {
            for (CompletableFuture<AppendResult> w : waiting) {
                if (result != null) {
                    w.complete(result);
                } else {
                    w.completeExceptionally(StreamingException.from(error));
                }
            }
        }
    }

    /**
     * Every keyed message is remembered as it is published (and again, with the whole result, when its append
     * completes), so a checkpoint taken at any published message holds every key before it; replay rebuilds
     * the window from the keys in the log after the checkpoint.
     */
    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        if (m.idempotencyKey() != null && config.maxEntries() > 0) {
            AppendResult r = new AppendResult(m.id(), m.timeTick(), m.lastConfirmedId() != null ? m.lastConfirmedId() : m.id());
            if (m.type() == io.tidelog.proto.MessageType.BEGIN_TXN && m.txn() != null) {
                r = r.withTxnId(m.txn().getTxnId());
            }
            Key key = new Key(m.vchannel(), m.idempotencyKey());
            synchronized (this) {
                Remembered known = published.get(key);
                if (known == null || !known.result.id().equals(r.id())) {
                    remember(key, r);
                }
            }
        } else if (replay && m.timeTick() != 0) {
            synchronized (this) {
                expire(HybridTimestamps.physicalMillis(m.timeTick()));
            }
        }
    }

    @Override
    public void onTimeTick(long timeTick) {
        synchronized (this) {
            expire(HybridTimestamps.physicalMillis(timeTick));
        }
    }

    /** Called under the monitor. */
    private void remember(Key key, AppendResult result) {
        published.put(key, new Remembered(result, HybridTimestamps.physicalMillis(result.timeTick())));
        while (published.size() > config.maxEntries()) {
            Iterator<Map.Entry<Key, Remembered>> it = published.entrySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** Forgets keys appended more than the window before {@code nowMillis}. Called under the monitor. */
    private void expire(long nowMillis) {
        long horizon = nowMillis - config.window().toMillis();
        Iterator<Map.Entry<Key, Remembered>> it = published.entrySet().iterator();
        while (it.hasNext() && it.next().getValue().physicalMillis < horizon) {
            it.remove();
        }
    }

    @Override
    public String stateName() {
        return "dedup";
    }

    @Override
    public synchronized ExtensionState checkpointState() {
        DedupStateProto.Builder b = DedupStateProto.newBuilder();
        published.forEach((k, r) -> b.addEntries(DedupEntryProto.newBuilder().setVchannel(k.vchannel()).setKey(k.key())
                .setId(MessageIds.toProto(r.result.id())).setTimeTick(r.result.timeTick())
                .setLastConfirmedId(MessageIds.toProto(r.result.lastConfirmedId())).setTxnId(r.result.txnId())));
        return ExtensionState.of(b.build().toByteString());
    }

    @Override
    public synchronized void restore(com.google.protobuf.ByteString state) {
        DedupStateProto p = ExtensionState.parse(DedupStateProto.parser(), state, "the persisted idempotency keys");
        published.clear();
        for (DedupEntryProto e : p.getEntriesList()) {
            remember(new Key(e.getVchannel(), e.getKey()), new AppendResult(MessageIds.fromProto(e.getId()),
                    e.getTimeTick(), MessageIds.fromProto(e.getLastConfirmedId())).withTxnId(e.getTxnId()));
        }
    }

    /** Keys remembered now (for tests and status). */
    synchronized int size() {
        return published.size();
    }
}
