package io.tidelog.wal.local;

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

/**
 * A pchannel of the local backend opened at a term: a {@link GroupCommitWriter} for appends
 * (read-write only) and {@link SegmentFileScanner}s for reads, over the pchannel's shared
 * {@link SegmentLog}.
 */
final class SegmentFileWal implements Wal {
    private final SegmentFileWalBackend backend;
    private final SegmentLog log;
    private final OpenOptions options;
    private final LocalWalConfig config;
    private final GroupCommitWriter writer;
    private final List<SegmentFileScanner> scanners = new ArrayList<>();
    private boolean closed;

    SegmentFileWal(SegmentFileWalBackend backend, SegmentLog log, OpenOptions options, LocalWalConfig config) {
        this.backend = backend;
        this.log = log;
        this.options = options;
        this.config = config;
        if (options.mode() == AccessMode.READ_WRITE) {
            log.claimWriter(options.term(), this);
            this.writer = new GroupCommitWriter(log, options.term(), config);
        } else {
            this.writer = null;
        }
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
    public AccessMode accessMode() {
        return options.mode();
    }

    @Override
    public int maxRecordBytes() {
        return config.maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        if (writer == null) {
            return CompletableFuture.failedFuture(readOnly());
        }
        return writer.append(record);
    }

    /** The run goes into one group-commit batch: one write, one fdatasync, durable together or not at all. */
    @Override
    public CompletableFuture<MessageId[]> appendBatch(RecordBatch batch) {
        if (writer == null) {
            return CompletableFuture.failedFuture(readOnly());
        }
        return writer.appendAll(batch, true);
    }

    /** As {@link #appendBatch}, or null when the writer's queue ({@code wal.local.queue.max.bytes}) has no room now. */
    @Override
    public CompletableFuture<MessageId[]> tryAppendBatch(RecordBatch batch) {
        if (writer == null) {
            return CompletableFuture.failedFuture(readOnly());
        }
        return writer.appendAll(batch, false);
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        SegmentFileScanner s = SegmentFileScanner.open(log, policy, this::forget);
        synchronized (this) {
            if (closed) {
                s.close();
                throw StreamingException.onShutdown("pchannel " + pchannel() + " is closed");
            }
            scanners.add(s);
        }
        return s;
    }

    @Override
    public boolean isNew() {
        return log.isNew();
    }

    @Override
    public long retainedBytes() {
        return log.retainedBytes();
    }

    @Override
    public void truncate(MessageId upTo) {
        if (writer == null) {
            throw readOnly();
        }
        StreamingException terminal = writer.terminal();
        if (terminal != null) {
            throw terminal;
        }
        log.truncate(options.term(), upTo);
    }

    private StreamingException readOnly() {
        return new StreamingException(ErrorCode.READ_ONLY, "pchannel " + pchannel() + " is open read-only");
    }

    private synchronized void forget(SegmentFileScanner s) {
        scanners.remove(s);
    }

    @Override
    public void close() {
        List<SegmentFileScanner> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(scanners);
        }
        if (writer != null) {
            writer.close();
            if (writer.terminal() == null) {
                log.markClean(options.term(), this);
            }
            log.releaseWriter(this);
        }
        open.forEach(SegmentFileScanner::close);
        backend.forget(this);
    }

    /** A simulated crash: the writer stops without draining; scanners are left to fail. */
    void abandon() {
        synchronized (this) {
            closed = true;
        }
        if (writer != null) {
            writer.abandon();
            log.releaseWriter(this);
        }
    }
}
