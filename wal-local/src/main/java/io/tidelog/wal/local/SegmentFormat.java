package io.tidelog.wal.local;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk format of a segment file. All integers are big-endian.
 *
 * <pre>
 * segment file (preallocated to wal.local.segment.bytes, recycled after truncation)
 * +----------------+---------+---------+-----+------------------+- - - - - - - - - - - -+
 * | segment header | batch 0 | batch 1 | ... | SEAL batch header | stale bytes / zeros    |
 * |   64 bytes     |         |         |     |  (32 bytes)      | (never read)           |
 * +----------------+---------+---------+-----+------------------+- - - - - - - - - - - -+
 *
 * segment header: magic "TDLSEG01" u64 | version u32 | header bytes u32 | segment index u64 |
 *                 term u64 | reserved (28 zero bytes) | crc32c u32 of bytes [0, 60)
 *
 * batch (one write and one fdatasync; starts at a multiple of 8):
 *   header 32 bytes: magic "TBAT" u32 | flags u16 | reserved u16 | length u32 (header + body) |
 *                    record count u32 | term u64 | body crc32c u32 |
 *                    header crc32c u32 of (segment index u64, position u64, header bytes [0, 28))
 *   body: record* then zero padding up to a multiple of 8
 *   record: length u32 | crc32c u32 of (length u32, payload) | payload
 * </pre>
 *
 * <p>Why the header checksum is seeded with the segment index and the batch position: a recycled file
 * still holds batches of its previous life, and a torn write can leave bytes of an older batch behind.
 * Neither can pass as a batch of this segment at this position. The body checksum catches a batch whose
 * header reached the disk but whose records did not (or records left over from a previous life at the
 * same offsets); the record checksum names the damaged record.
 *
 * <p>Two kinds of batch carry no records. A SEAL ends a segment: the reader moves to the next one. A
 * CLEAN marker is written where the data ends when a writer closes cleanly; the next writer
 * overwrites it with its first batch. Finding one at the end of the last segment on open tells a clean
 * shutdown from a crash, whose torn tail is sealed off instead (see {@link SegmentScan}).
 *
 * <p>A record's message id is {@code (segment index, position of its record frame)}.
 */
final class SegmentFormat {
    static final long SEGMENT_MAGIC = 0x54444C5345473031L; // "TDLSEG01"
    static final int VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 64;
    static final int BATCH_MAGIC = 0x54424154; // "TBAT"
    static final int BATCH_HEADER_BYTES = 32;
    static final int RECORD_HEADER_BYTES = 8;
    static final int FLAG_SEAL = 1;
    static final int FLAG_CLEAN = 2;
    static final int ALIGNMENT = 8;

    private SegmentFormat() {
    }

    static int align(int n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** The bytes a batch holding records of these payload sizes occupies. */
    static int batchBytes(int recordFrameBytes) {
        return align(BATCH_HEADER_BYTES + recordFrameBytes);
    }

    // ------------------------------------------------------------------ segment header

    static ByteBuffer segmentHeader(long index, long term) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
        b.putLong(SEGMENT_MAGIC).putInt(VERSION).putInt(SEGMENT_HEADER_BYTES).putLong(index).putLong(term);
        b.position(60);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 60);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Whether {@code b} (64 bytes from its position) is the header of segment {@code index}. */
    static boolean isSegmentHeader(ByteBuffer b, long index) {
        if (b.remaining() < SEGMENT_HEADER_BYTES) {
            return false;
        }
        int p = b.position();
        CRC32C crc = new CRC32C();
        ByteBuffer covered = b.duplicate();
        covered.limit(p + 60);
        crc.update(covered);
        return b.getLong(p) == SEGMENT_MAGIC && b.getInt(p + 8) == VERSION && b.getLong(p + 16) == index
                && b.getInt(p + 60) == (int) crc.getValue();
    }

    // ------------------------------------------------------------------ batch header

    /** A decoded, checksum-verified batch header. */
    record BatchHeader(int flags, int length, int count, long term, int bodyCrc) {
        boolean isSeal() {
            return (flags & FLAG_SEAL) != 0;
        }

        boolean isClean() {
            return (flags & FLAG_CLEAN) != 0;
        }
    }

    /** Writes a batch header at {@code dst}'s absolute offset {@code at}. */
    static void putBatchHeader(ByteBuffer dst, int at, long segmentIndex, long position, int flags, int length,
                               int count, long term, int bodyCrc) {
        dst.putInt(at, BATCH_MAGIC);
        dst.putShort(at + 4, (short) flags);
        dst.putShort(at + 6, (short) 0);
        dst.putInt(at + 8, length);
        dst.putInt(at + 12, count);
        dst.putLong(at + 16, term);
        dst.putInt(at + 24, bodyCrc);
        dst.putInt(at + 28, headerCrc(dst, at, segmentIndex, position));
    }

    /** A seal: a batch of no records whose flag ends the segment. */
    static ByteBuffer sealHeader(long segmentIndex, long position, long term) {
        return marker(FLAG_SEAL, segmentIndex, position, term);
    }

    /** A clean-shutdown marker: where the data ended when the writer closed. */
    static ByteBuffer cleanHeader(long segmentIndex, long position, long term) {
        return marker(FLAG_CLEAN, segmentIndex, position, term);
    }

    private static ByteBuffer marker(int flag, long segmentIndex, long position, long term) {
        ByteBuffer b = ByteBuffer.allocate(BATCH_HEADER_BYTES);
        putBatchHeader(b, 0, segmentIndex, position, flag, BATCH_HEADER_BYTES, 0, term, emptyCrc());
        return b;
    }

    /** Whether the batch header room at {@code at} holds only zeros: nothing was ever written there. */
    static boolean isZeroHeader(ByteBuffer b, int at) {
        for (int i = 0; i < BATCH_HEADER_BYTES; i++) {
            if (b.get(at + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes the batch header at {@code src}'s absolute offset {@code at}, read from {@code position}
     * of segment {@code segmentIndex}; null unless magic, checksum and shape are right.
     */
    static BatchHeader readBatchHeader(ByteBuffer src, int at, long segmentIndex, long position) {
        if (src.limit() - at < BATCH_HEADER_BYTES || src.getInt(at) != BATCH_MAGIC) {
            return null;
        }
        if (src.getInt(at + 28) != headerCrc(src, at, segmentIndex, position)) {
            return null;
        }
        int flags = src.getShort(at + 4) & 0xFFFF;
        int length = src.getInt(at + 8);
        int count = src.getInt(at + 12);
        long term = src.getLong(at + 16);
        if (length < BATCH_HEADER_BYTES || length % ALIGNMENT != 0 || count < 0
                || (long) count * RECORD_HEADER_BYTES > length - BATCH_HEADER_BYTES || term < 0) {
            return null;
        }
        if ((flags & (FLAG_SEAL | FLAG_CLEAN)) != 0 && (length != BATCH_HEADER_BYTES || count != 0)) {
            return null;
        }
        return new BatchHeader(flags, length, count, term, src.getInt(at + 24));
    }

    private static int headerCrc(ByteBuffer b, int at, long segmentIndex, long position) {
        CRC32C crc = new CRC32C();
        ByteBuffer seed = ByteBuffer.allocate(16).putLong(segmentIndex).putLong(position).flip();
        crc.update(seed);
        ByteBuffer covered = b.duplicate();
        covered.limit(at + 28).position(at);
        crc.update(covered);
        return (int) crc.getValue();
    }

    static int emptyCrc() {
        return (int) new CRC32C().getValue();
    }

    static int crc(ByteBuffer b, int from, int to) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = b.duplicate();
        covered.limit(to).position(from);
        crc.update(covered);
        return (int) crc.getValue();
    }

    // ------------------------------------------------------------------ record frames

    /** The checksum of a record frame: over its length field and its payload. */
    static int recordCrc(int length, ByteBuffer payload) {
        CRC32C crc = new CRC32C();
        crc.update(length >>> 24);
        crc.update(length >>> 16);
        crc.update(length >>> 8);
        crc.update(length);
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /**
     * Completes a batch being built in {@code b}: records were put from offset
     * {@link #BATCH_HEADER_BYTES} up to {@code b}'s position. Pads to the alignment, fills in the header
     * for {@code position} of segment {@code segmentIndex}, and flips the buffer (0 to the batch length).
     */
    static void finishBatch(ByteBuffer b, long segmentIndex, long position, int count, long term) {
        int length = align(b.position());
        while (b.position() < length) {
            b.put((byte) 0);
        }
        b.flip();
        putBatchHeader(b, 0, segmentIndex, position, 0, length, count, term, crc(b, BATCH_HEADER_BYTES, length));
    }

    /** Writes one record frame at {@code dst}'s position, advancing it. */
    /**
     * Frames record {@code i} of {@code run} in {@code dst} as {@link #putRecord(ByteBuffer, ByteBuffer, int)} does,
     * writing the record straight into place and computing its checksum there.
     */
    static void putRecord(ByteBuffer dst, io.tidelog.wal.Wal.RecordBatch run, int i) {
        int length = run.size(i);
        int start = dst.position();
        dst.putInt(length);
        dst.putInt(0);
        int payloadAt = dst.position();
        run.write(i, dst);
        if (dst.position() != payloadAt + length) {
            throw new IllegalStateException("record " + i + " wrote " + (dst.position() - payloadAt)
                    + " bytes, announced " + length);
        }
        dst.putInt(start + 4, recordCrc(length, dst.duplicate().position(payloadAt).limit(payloadAt + length)));
    }

    static void putRecord(ByteBuffer dst, ByteBuffer payload, int crc) {
        dst.putInt(payload.remaining());
        dst.putInt(crc);
        dst.put(payload.duplicate());
    }
}
