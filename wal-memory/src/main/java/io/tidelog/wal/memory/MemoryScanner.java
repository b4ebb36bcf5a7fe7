package io.tidelog.wal.memory;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.time.Duration;

/** Reads a memory pchannel from an offset, waiting on the channel's monitor for new records. */
final class MemoryScanner implements WalScanner {
    private final MemoryWal wal;
    private final MemoryStorage.Channel channel;
    private long next;
    private volatile boolean closed;
    private StreamingException failed;

    MemoryScanner(MemoryWal wal, MemoryStorage.Channel channel, long start) {
        this.wal = wal;
        this.channel = channel;
        this.next = start;
    }

    @Override
    public LogRecord poll(Duration timeout) throws InterruptedException {
        if (failed != null) {
            throw failed;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (channel) {
            while (true) {
                if (closed) {
                    throw StreamingException.onShutdown("scanner of " + channel.name + " is closed");
                }
                if (next < channel.baseOffset) {
                    throw fail(new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + channel.name
                            + ": position 0:" + next + " was truncated while the scanner read it"));
                }
                MemoryStorage.Entry e = channel.entry(next);
                if (e != null) {
                    if (MemoryStorage.crc(e.data) != e.crc) {
                        throw fail(StreamingException.corrupted("pchannel " + channel.name + ": record 0:" + next
                                + " failed its checksum"));
                    }
                    LogRecord r = new LogRecord(MessageId.of(0, next), ByteBuffer.wrap(e.data.clone()).asReadOnlyBuffer());
                    next++;
                    return r;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                long millis = left / 1_000_000;
                channel.wait(millis, (int) (left % 1_000_000));
            }
        }
    }

    private StreamingException fail(StreamingException e) {
        failed = e;
        return e;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (channel) {
            channel.notifyAll();
        }
        wal.forget(this);
    }
}
