package io.tidelog.wal.memory;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One pchannel of the memory backend. Pending appends are guarded by this object's monitor. */
final class MemoryWal implements Wal {
    private final MemoryWalBackend backend;
    private final MemoryStorage.Channel channel;
    private final OpenOptions options;
    private final List<Pending> pending = new ArrayList<>();
    private final List<MemoryScanner> scanners = new ArrayList<>();
    private boolean closed;
    private boolean fenced;

    private record Pending(byte[] data, CompletableFuture<MessageId> future) {
    }

    MemoryWal(MemoryWalBackend backend, MemoryStorage.Channel channel, OpenOptions options) {
        this.backend = backend;
        this.channel = channel;
        this.options = options;
    }

    @Override
    public String pchannel() {
        return options.pchannel();
    }

    @Override
    public long term() {
        return options.term();
    }

    @Override
    public boolean isNew() {
        synchronized (channel) {
            return !channel.claimed && channel.endOffset() == 0;
        }
    }

    @Override
    public AccessMode accessMode() {
        return options.mode();
    }

    @Override
    public int maxRecordBytes() {
        return backend.config().maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        if (options.mode() == AccessMode.READ_ONLY) {
            return CompletableFuture.failedFuture(new StreamingException(ErrorCode.READ_ONLY,
                    "pchannel " + pchannel() + " is open read-only"));
        }
        if (record.remaining() > maxRecordBytes()) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("record of "
                    + record.remaining() + " bytes exceeds the limit of " + maxRecordBytes() + " bytes"));
        }
        byte[] data = new byte[record.remaining()];
        record.duplicate().get(data);
        CompletableFuture<MessageId> f = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(StreamingException.onShutdown("pchannel " + pchannel() + " is closed"));
            }
            if (fenced) {
                return CompletableFuture.failedFuture(fencedError());
            }
            pending.add(new Pending(data, f));
        }
        backend.pendingAdded();
        return f;
    }

    /** Never waits (the simulated disk has no queue limit): the same as {@link #appendBatch}. */
    @Override
    public CompletableFuture<MessageId[]> tryAppendBatch(RecordBatch batch) {
        return appendBatch(batch);
    }

    synchronized boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Makes the pending appends durable in order, or fails them all if a newer term fenced us. */
    void syncPending() {
        List<Pending> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        List<MessageId> ids = new ArrayList<>(batch.size());
        boolean fencedNow;
        synchronized (channel) {
            fencedNow = channel.term != options.term() || channel.writer != this;
            if (!fencedNow) {
                for (Pending p : batch) {
                    ids.add(MessageId.of(0, channel.endOffset()));
                    channel.entries.add(new MemoryStorage.Entry(p.data));
                }
                channel.notifyAll();
            }
        }
        if (fencedNow) {
            synchronized (this) {
                fenced = true;
            }
            batch.forEach(p -> p.future.completeExceptionally(fencedError()));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future.complete(ids.get(i));
        }
    }

    private StreamingException fencedError() {
        return StreamingException.fenced("pchannel " + pchannel() + " was opened at a newer term than " + term());
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        long start;
        synchronized (channel) {
            if (policy instanceof DeliverPolicy.All) {
                start = channel.baseOffset;
            } else if (policy instanceof DeliverPolicy.Latest) {
                start = channel.endOffset();
            } else if (policy instanceof DeliverPolicy.StartFrom from) {
                start = checkedStart(from.id(), 0);
            } else {
                start = checkedStart(((DeliverPolicy.StartAfter) policy).id(), 1);
            }
        }
        MemoryScanner s = new MemoryScanner(this, channel, start);
        synchronized (this) {
            if (closed) {
                throw StreamingException.onShutdown("pchannel " + pchannel() + " is closed");
            }
            scanners.add(s);
        }
        return s;
    }

    private long checkedStart(MessageId id, int skip) {
        if (id.major() != 0) {
            throw StreamingException.invalidArgument("not a memory WAL id: " + id);
        }
        if (id.minor() < channel.baseOffset) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel() + ": " + id
                    + " was truncated; the oldest retained record is 0:" + channel.baseOffset);
        }
        if (id.minor() >= channel.endOffset()) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel() + ": " + id
                    + " lies beyond the end of the log (0:" + channel.endOffset() + ")");
        }
        return id.minor() + skip;
    }

    @Override
    public void truncate(MessageId upTo) {
        if (options.mode() == AccessMode.READ_ONLY) {
            throw new StreamingException(ErrorCode.READ_ONLY, "pchannel " + pchannel() + " is open read-only");
        }
        synchronized (channel) {
            if (upTo.major() != 0 || upTo.minor() > channel.endOffset()) {
                throw StreamingException.invalidArgument("pchannel " + pchannel() + ": cannot truncate to "
                        + upTo + ", beyond the end of the log (0:" + channel.endOffset() + ")");
            }
            long drop = upTo.minor() - channel.baseOffset;
            if (drop > 0) {
                channel.entries.subList(0, (int) drop).clear();
                channel.baseOffset = upTo.minor();
                channel.notifyAll();
            }
        }
    }

    synchronized void forget(MemoryScanner s) {
        scanners.remove(s);
    }

    @Override
    public void close() {
        List<MemoryScanner> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(scanners);
        }
        if (!backend.isCrashed()) {
            syncPending();
        }
        releaseWriter();
        toClose.forEach(MemoryScanner::close);
        backend.forget(this);
    }

    /** A simulated crash: pending appends vanish, scanners stop, the writer slot is released. */
    void abandon() {
        List<Pending> lost;
        List<MemoryScanner> toClose;
        synchronized (this) {
            closed = true;
            lost = new ArrayList<>(pending);
            pending.clear();
            toClose = new ArrayList<>(scanners);
        }
        releaseWriter();
        lost.forEach(p -> p.future.completeExceptionally(StreamingException.onShutdown("simulated crash")));
        toClose.forEach(MemoryScanner::close);
    }

    private void releaseWriter() {
        synchronized (channel) {
            if (channel.writer == this) {
                channel.writer = null;
            }
            channel.notifyAll();
        }
    }
}
