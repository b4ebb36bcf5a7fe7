package io.tidelog.wal.local;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One open segment file and the index of its batches. The index of the last segment is kept whole by
 * the writer; older segments are indexed lazily, when a scanner first seeks into them.
 */
final class Segment {
    final String pchannel;
    final long index;
    final Path path;
    final FileChannel channel;
    final ByteSource source;
    /** The file's size: segments are preallocated, so it never changes while open. */
    final long capacity;
    private final BatchIndex batches;
    /** Where its data ends once sealed by this process (-1: not sealed here, or still written). */
    volatile long dataEnd = -1;
    /** Every batch before this position is in {@link #batches}; guarded by {@code this}. */
    private long indexedUpTo;

    Segment(String pchannel, long index, Path path, FileChannel channel, BatchIndex batches, long indexedUpTo)
            throws IOException {
        this.pchannel = pchannel;
        this.index = index;
        this.path = path;
        this.channel = channel;
        this.source = ByteSource.of(channel);
        this.capacity = channel.size();
        this.batches = batches;
        this.indexedUpTo = indexedUpTo;
    }

    static String fileName(long index) {
        return String.format("%020d.seg", index);
    }

    /** Called by the writer after a batch at {@code position} of {@code length} bytes became durable. */
    synchronized void indexed(long position, int length) {
        batches.add(position);
        indexedUpTo = position + length;
    }

    /**
     * The position of the batch holding {@code target}, walking and indexing batch headers up to it
     * if needed; -1 if {@code target} lies before the first batch.
     *
     * @param limit the end of durable data in this segment
     */
    synchronized long batchContaining(long target, long limit) throws IOException {
        if (indexedUpTo <= target) {
            ReadAhead in = new ReadAhead(source, 64 << 10);
            while (indexedUpTo <= target && indexedUpTo + SegmentFormat.BATCH_HEADER_BYTES <= limit) {
                Batch b = Batch.read(in, index, indexedUpTo, limit);
                if (b.kind == Batch.Kind.SEAL) {
                    break;
                }
                if (b.kind == Batch.Kind.INVALID && b.header == null) {
                    throw StreamingException.corrupted("pchannel " + pchannel + " segment " + index
                            + " position " + indexedUpTo + ": " + b.reason);
                }
                batches.add(indexedUpTo);
                indexedUpTo += b.header.length();
            }
        }
        return batches.floor(target);
    }

    @Override
    public String toString() {
        return pchannel + "/" + fileName(index);
    }
}
