package io.tidelog.wal.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One batch read and verified from a segment: either its records, a seal, or the reason it is
 * invalid with the position of the first damaged byte range (and the records before it that verify on
 * their own). Record payloads are slices of the reader's window: valid until its next read.
 */
final class Batch {
    enum Kind { RECORDS, SEAL, CLEAN, INVALID }

    /** One verified record: the position of its frame (its id's minor part) and its payload. */
    record Entry(long position, ByteBuffer payload) {
    }

    static final String UNWRITTEN = "nothing written there (zeros)";

    final Kind kind;
    final long position;
    final SegmentFormat.BatchHeader header;
    final List<Entry> entries;
    final long badPosition;
    final String reason;

    private Batch(Kind kind, long position, SegmentFormat.BatchHeader header, List<Entry> entries,
                  long badPosition, String reason) {
        this.kind = kind;
        this.position = position;
        this.header = header;
        this.entries = entries;
        this.badPosition = badPosition;
        this.reason = reason;
    }

    int length() {
        return header.length();
    }

    /** No batch was ever written here: the header room holds zeros. */
    boolean unwritten() {
        return kind == Kind.INVALID && header == null && UNWRITTEN.equals(reason);
    }

    /**
     * Reads the batch at {@code position} of segment {@code segmentIndex}; {@code limit} is the end of
     * the bytes that may be read (the durable end, or the file size).
     */
    static Batch read(ReadAhead in, long segmentIndex, long position, long limit) throws IOException {
        if (position + SegmentFormat.BATCH_HEADER_BYTES > limit) {
            return invalid(position, null, List.of(), position, "no room for a batch header before " + limit);
        }
        ByteBuffer h = in.slice(position, SegmentFormat.BATCH_HEADER_BYTES, limit);
        SegmentFormat.BatchHeader header = SegmentFormat.readBatchHeader(h, 0, segmentIndex, position);
        if (header == null) {
            return invalid(position, null, List.of(), position,
                    SegmentFormat.isZeroHeader(h, 0) ? UNWRITTEN : "invalid batch header");
        }
        if (header.isSeal()) {
            return new Batch(Kind.SEAL, position, header, List.of(), -1, null);
        }
        if (header.isClean()) {
            return new Batch(Kind.CLEAN, position, header, List.of(), -1, null);
        }
        if (position + header.length() > limit) {
            return invalid(position, header, List.of(), position, "batch of " + header.length()
                    + " bytes overruns the readable end " + limit);
        }
        ByteBuffer b = in.slice(position, header.length(), limit);
        boolean bodyOk = SegmentFormat.crc(b, SegmentFormat.BATCH_HEADER_BYTES, header.length()) == header.bodyCrc();
        List<Entry> entries = new ArrayList<>(header.count());
        int off = SegmentFormat.BATCH_HEADER_BYTES;
        for (int i = 0; i < header.count(); i++) {
            if (off + SegmentFormat.RECORD_HEADER_BYTES > header.length()) {
                return invalid(position, header, entries, position + off, "record frame overruns its batch");
            }
            int len = b.getInt(off);
            int crc = b.getInt(off + 4);
            if (len < 0 || (long) off + SegmentFormat.RECORD_HEADER_BYTES + len > header.length()) {
                return invalid(position, header, entries, position + off, "record length " + len + " overruns its batch");
            }
            ByteBuffer payload = b.duplicate();
            payload.position(off + SegmentFormat.RECORD_HEADER_BYTES).limit(off + SegmentFormat.RECORD_HEADER_BYTES + len);
            payload = payload.slice();
            // The body checksum covers every record; the per-record one is checked only to name the damage.
            if (!bodyOk && SegmentFormat.recordCrc(len, payload) != crc) {
                return invalid(position, header, entries, position + off, "record checksum mismatch");
            }
            entries.add(new Entry(position + off, payload));
            off += SegmentFormat.RECORD_HEADER_BYTES + len;
        }
        if (SegmentFormat.align(off) != header.length()) {
            return invalid(position, header, entries, position + off, "records do not fill their batch");
        }
        if (!bodyOk) {
            return invalid(position, header, entries, position, "batch body checksum mismatch");
        }
        return new Batch(Kind.RECORDS, position, header, entries, -1, null);
    }

    private static Batch invalid(long position, SegmentFormat.BatchHeader header, List<Entry> verified,
                                 long badPosition, String reason) {
        return new Batch(Kind.INVALID, position, header, verified, badPosition, reason);
    }
}
