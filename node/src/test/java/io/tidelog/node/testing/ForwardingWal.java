package io.tidelog.node.testing;

import io.tidelog.common.MessageId;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** A backend log that passes every call to another: the base of test logs that change a few of them. */
public abstract class ForwardingWal implements Wal {
    protected final Wal delegate;

    protected ForwardingWal(Wal delegate) {
        this.delegate = delegate;
    }

    @Override
    public String pchannel() {
        return delegate.pchannel();
    }

    @Override
    public long term() {
        return delegate.term();
    }

    @Override
    public AccessMode accessMode() {
        return delegate.accessMode();
    }

    @Override
    public int maxRecordBytes() {
        return delegate.maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        return delegate.append(record);
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        return delegate.read(policy);
    }

    @Override
    public void truncate(MessageId upTo) {
        delegate.truncate(upTo);
    }

    @Override
    public boolean isNew() {
        return delegate.isNew();
    }

    @Override
    public long retainedBytes() {
        return delegate.retainedBytes();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
