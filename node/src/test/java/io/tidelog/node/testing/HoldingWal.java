package io.tidelog.node.testing;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.Wal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A backend log that can hold appends: while holding, appends wait (in order) instead of reaching the
 * wrapped log, until {@link #release()} passes them on or {@link #failHeld} fails them (nothing written).
 * Lets a test keep messages in flight for as long as it likes.
 */
public final class HoldingWal extends ForwardingWal {
    private final List<Held> held = new ArrayList<>();
    private boolean holding;

    private record Held(ByteBuffer record, CompletableFuture<MessageId> result) {
    }

    public HoldingWal(Wal delegate) {
        super(delegate);
    }

    public synchronized void hold() {
        holding = true;
    }

    /** Stops holding and passes every held append on, in order. */
    public void release() {
        List<Held> out;
        synchronized (this) {
            holding = false;
            out = new ArrayList<>(held);
            held.clear();
        }
        for (Held h : out) {
            delegate.append(h.record).whenComplete((id, e) -> {
                if (e != null) {
                    h.result.completeExceptionally(e);
                } else {
                    h.result.complete(id);
                }
            });
        }
    }

    /** Stops holding and fails every held append with {@code e} (a code meaning nothing was written). */
    public void failHeld(StreamingException e) {
        List<Held> out;
        synchronized (this) {
            holding = false;
            out = new ArrayList<>(held);
            held.clear();
        }
        out.forEach(h -> h.result.completeExceptionally(e));
    }

    public synchronized int heldCount() {
        return held.size();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        synchronized (this) {
            if (holding) {
                ByteBuffer copy = ByteBuffer.allocate(record.remaining()).put(record.duplicate()).flip();
                CompletableFuture<MessageId> f = new CompletableFuture<>();
                held.add(new Held(copy, f));
                return f;
            }
        }
        return delegate.append(record);
    }

    @Override
    public void close() {
        release();
        delegate.close();
    }
}
