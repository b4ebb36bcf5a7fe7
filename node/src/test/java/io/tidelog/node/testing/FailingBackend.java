package io.tidelog.node.testing;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend whose appends fail on demand, the way a full disk fails them: while {@link #failAppends} is set,
 * every append of every log it opened fails with that error and nothing is written (so every open fails
 * too, at its first TimeTick). Everything else goes to the wrapped backend.
 */
public final class FailingBackend implements WalBackend {
    private final WalBackend delegate;
    private final AtomicInteger opens = new AtomicInteger();
    private volatile StreamingException appendFailure;

    public FailingBackend(WalBackend delegate) {
        this.delegate = delegate;
    }

    /** From now on every append fails with {@code e} (null: none does). */
    public void failAppends(StreamingException e) {
        appendFailure = e;
    }

    /** How many logs were opened read-write. */
    public int opens() {
        return opens.get();
    }

    @Override
    public String name() {
        return "failing";
    }

    @Override
    public Wal open(OpenOptions options) {
        Wal wal = delegate.open(options);
        if (options.mode() == AccessMode.READ_WRITE) {
            opens.incrementAndGet();
        }
        return new ForwardingWal(wal) {
            @Override
            public CompletableFuture<MessageId> append(ByteBuffer record) {
                StreamingException e = appendFailure;
                return e != null ? CompletableFuture.failedFuture(e) : delegate.append(record);
            }
        };
    }

    @Override
    public void close() {
        delegate.close();
    }
}
