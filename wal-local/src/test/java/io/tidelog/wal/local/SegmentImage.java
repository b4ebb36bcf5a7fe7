package io.tidelog.wal.local;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** An in-memory segment file built with the production format code: the input of property tests. */
final class SegmentImage {
    final long index;
    final long term;
    final ByteBuffer bytes;
    final List<long[]> batches = new ArrayList<>(); // {position, length, records}
    long end = SegmentFormat.SEGMENT_HEADER_BYTES;

    SegmentImage(long index, long term, int size, byte background) {
        this.index = index;
        this.term = term;
        this.bytes = ByteBuffer.allocate(size);
        for (int i = 0; i < size; i++) {
            bytes.put(i, background);
        }
        bytes.put(0, SegmentFormat.segmentHeader(index, term), 0, SegmentFormat.SEGMENT_HEADER_BYTES);
    }

    SegmentImage(long index, long term, byte[] background) {
        this.index = index;
        this.term = term;
        this.bytes = ByteBuffer.wrap(background.clone());
        bytes.put(0, SegmentFormat.segmentHeader(index, term), 0, SegmentFormat.SEGMENT_HEADER_BYTES);
    }

    /** The bytes of a complete batch of these records, as it would be written at {@link #end}. */
    ByteBuffer encode(List<byte[]> records) {
        int frames = 0;
        for (byte[] r : records) {
            frames += SegmentFormat.RECORD_HEADER_BYTES + r.length;
        }
        ByteBuffer b = ByteBuffer.allocate(SegmentFormat.batchBytes(frames));
        b.position(SegmentFormat.BATCH_HEADER_BYTES);
        for (byte[] r : records) {
            ByteBuffer p = ByteBuffer.wrap(r);
            SegmentFormat.putRecord(b, p, SegmentFormat.recordCrc(r.length, p));
        }
        SegmentFormat.finishBatch(b, index, end, records.size(), term);
        return b;
    }

    /** Writes a complete batch at the end; returns its position. */
    long append(List<byte[]> records) {
        ByteBuffer b = encode(records);
        long at = end;
        bytes.put((int) at, b, 0, b.limit());
        batches.add(new long[] {at, b.limit(), records.size()});
        end += b.limit();
        return at;
    }

    void putAt(long position, ByteBuffer b) {
        bytes.put((int) position, b, 0, b.limit());
    }

    boolean fits(List<byte[]> records) {
        int frames = 0;
        for (byte[] r : records) {
            frames += SegmentFormat.RECORD_HEADER_BYTES + r.length;
        }
        return end + SegmentFormat.batchBytes(frames) + SegmentFormat.BATCH_HEADER_BYTES <= bytes.capacity();
    }

    void flipBit(long position, int bit) {
        int p = (int) position;
        bytes.put(p, (byte) (bytes.get(p) ^ (1 << bit)));
    }

    SegmentScan.Result scan() throws java.io.IOException {
        return SegmentScan.scan(ByteSource.of(bytes), index, bytes.capacity());
    }

    Batch readBatch(long position) throws java.io.IOException {
        return Batch.read(new ReadAhead(ByteSource.of(bytes), 1 << 16), index, position, bytes.capacity());
    }
}
