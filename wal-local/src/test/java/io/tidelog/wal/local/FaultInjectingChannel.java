package io.tidelog.wal.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A segment file whose positional writes and syncs fail on demand, the way a full disk makes them fail:
 * a write may first put some of its bytes into the file (a short write), then throw; a sync may throw
 * after the write went through. Everything else goes to the real file.
 */
final class FaultInjectingChannel extends FileChannel {
    /** What the next positional write or force does; shared by every channel of one test. */
    static final class Faults {
        /** Bytes a failing write still puts into the file first (-1: writes do not fail). */
        volatile int writeFailsAfter = -1;
        volatile boolean forceFails;
        volatile String message = "No space left on device";

        SegmentLog.SegmentChannels channels() {
            return file -> new FaultInjectingChannel(SegmentLog.SegmentChannels.FILES.open(file), this);
        }

        void clear() {
            writeFailsAfter = -1;
            forceFails = false;
        }
    }

    private final FileChannel file;
    private final Faults faults;

    private FaultInjectingChannel(FileChannel file, Faults faults) {
        this.file = file;
        this.faults = faults;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        int partial = faults.writeFailsAfter;
        if (partial < 0) {
            return file.write(src, position);
        }
        ByteBuffer part = src.duplicate();
        part.limit(part.position() + Math.min(partial, part.remaining()));
        int written = 0;
        while (part.hasRemaining()) {
            written += file.write(part, position + written);
        }
        src.position(src.position() + written);
        throw new IOException(faults.message);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (faults.forceFails) {
            throw new IOException(faults.message);
        }
        file.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return file.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return file.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return file.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }

    @Override
    public String toString() {
        return "FaultInjectingChannel[" + file + "]";
    }
}
