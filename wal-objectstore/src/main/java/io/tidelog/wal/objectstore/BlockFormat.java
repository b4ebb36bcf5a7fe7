package io.tidelog.wal.objectstore;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The bytes of the objects this backend writes. Every object is written once, whole, and never changed.
 *
 * <p><b>Block</b> ({@code wal/<pchannel>/<segment>/<block>}): a {@value #HEADER_BYTES}-byte header, then its
 * records. Header: magic {@code TLWB}, version, {@link Type}, two spare bytes, the writer's term, the writer's
 * random identity (so that two racing writers never write equal bytes, which a conditional create that
 * re-reads after a lost reply would take for its own), the record count, and a CRC32C of the header.
 * Record: length (4 bytes), CRC32C of the length and the payload (4 bytes), payload.
 *
 * <p><b>Footer</b> ({@code wal/<pchannel>/<segment>/footer}), written when a segment is sealed: magic
 * {@code TLWF}, version, the sealer's term and identity, the end (the number of blocks the segment holds,
 * positions {@code 0 .. end-1}), each block's size (0 if the sealer did not learn it: fetch the block whole),
 * and a CRC32C of it all.
 *
 * <p>Record ids: {@code MessageId(segment, block << 32 | index in block)}.
 */
final class BlockFormat {
    static final int HEADER_BYTES = 32;
    static final int RECORD_HEADER_BYTES = 8;
    private static final int BLOCK_MAGIC = 0x544C5742; // TLWB
    private static final int FOOTER_MAGIC = 0x544C5746; // TLWF
    private static final byte VERSION = 1;

    /** What a block is. */
    enum Type {
        /** Records of the writer. */
        DATA,
        /** The first block of a segment an opening writer starts: its term, no records. */
        TERM,
        /** A position claimed by an opening writer to fence the segment's writer: the segment ends here. */
        FENCE
    }

    private BlockFormat() {
    }

    static MessageId id(long segment, int block, int index) {
        return MessageId.of(segment, ((long) block << 32) | (index & 0xFFFFFFFFL));
    }

    static int block(MessageId id) {
        return (int) (id.minor() >>> 32);
    }

    static int index(MessageId id) {
        return (int) id.minor();
    }

    /** Writes a header at the start of {@code block} (whose first {@link #HEADER_BYTES} bytes are reserved). */
    static void writeHeader(byte[] block, Type type, long term, long writer, int count) {
        ByteBuffer b = ByteBuffer.wrap(block, 0, HEADER_BYTES);
        b.putInt(BLOCK_MAGIC).put(VERSION).put((byte) type.ordinal()).putShort((short) 0)
                .putLong(term).putLong(writer).putInt(count);
        CRC32C crc = new CRC32C();
        crc.update(block, 0, HEADER_BYTES - 4);
        b.putInt((int) crc.getValue());
    }

    /** A block of no records: a {@link Type#TERM} or {@link Type#FENCE} claim. */
    static byte[] claim(Type type, long term, long writer) {
        byte[] b = new byte[HEADER_BYTES];
        writeHeader(b, type, term, writer, 0);
        return b;
    }

    /** The checksum a record's frame carries: CRC32C of its length (4 bytes, big-endian) and its payload. */
    static int recordCrc(ByteBuffer payload) {
        int length = payload.remaining();
        CRC32C crc = new CRC32C();
        crc.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /** Frames one record at {@code at} in {@code into}, with its {@link #recordCrc}; returns the bytes written. */
    static int writeRecord(byte[] into, int at, ByteBuffer payload, int crc) {
        int length = payload.remaining();
        ByteBuffer.wrap(into, at, RECORD_HEADER_BYTES).putInt(length).putInt(crc);
        payload.duplicate().get(into, at + RECORD_HEADER_BYTES, length);
        return RECORD_HEADER_BYTES + length;
    }

    /** A parsed block header. */
    record Header(Type type, long term, long writer, int count) {
    }

    /**
     * Parses and checks a header; {@code DATA_CORRUPTED} naming {@code where} if it is not one.
     */
    static Header header(byte[] block, String where) {
        if (block.length < HEADER_BYTES) {
            throw StreamingException.corrupted(where + ": a block of " + block.length + " bytes has no header");
        }
        ByteBuffer b = ByteBuffer.wrap(block);
        CRC32C crc = new CRC32C();
        crc.update(block, 0, HEADER_BYTES - 4);
        if (b.getInt(0) != BLOCK_MAGIC || b.getInt(HEADER_BYTES - 4) != (int) crc.getValue()) {
            throw StreamingException.corrupted(where + ": the block header fails its checksum");
        }
        if (b.get(4) != VERSION) {
            throw StreamingException.corrupted(where + ": unknown block version " + b.get(4));
        }
        int type = b.get(5);
        if (type < 0 || type >= Type.values().length) {
            throw StreamingException.corrupted(where + ": unknown block type " + type);
        }
        return new Header(Type.values()[type], b.getLong(8), b.getLong(16), b.getInt(24));
    }

    /**
     * Walks a data block's records, checking each; the visitor sees each record's index and payload (a
     * read-only view of {@code block}).
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming the record's id when a record fails its
     *         checksum or framing (records before it were visited)
     */
    static void records(byte[] block, String pchannel, long segment, int blockNo, int count, RecordVisitor visitor) {
        int at = HEADER_BYTES;
        CRC32C crc = new CRC32C();
        for (int i = 0; i < count; i++) {
            MessageId id = id(segment, blockNo, i);
            if (at + RECORD_HEADER_BYTES > block.length) {
                throw StreamingException.corrupted("pchannel " + pchannel + ": record " + id + " is cut short");
            }
            ByteBuffer b = ByteBuffer.wrap(block);
            int length = b.getInt(at);
            if (length < 0 || at + RECORD_HEADER_BYTES + (long) length > block.length) {
                throw StreamingException.corrupted("pchannel " + pchannel + ": record " + id
                        + " has an impossible length " + length);
            }
            crc.reset();
            crc.update(block, at, 4);
            crc.update(block, at + RECORD_HEADER_BYTES, length);
            if (b.getInt(at + 4) != (int) crc.getValue()) {
                throw StreamingException.corrupted("pchannel " + pchannel + ": record " + id + " fails its checksum");
            }
            visitor.record(i, ByteBuffer.wrap(block, at + RECORD_HEADER_BYTES, length).slice().asReadOnlyBuffer());
            at += RECORD_HEADER_BYTES + length;
        }
    }

    /** Receives the records of a block in order. */
    @FunctionalInterface
    interface RecordVisitor {
        void record(int index, ByteBuffer payload);
    }

    /** A sealed segment's footer: its end and each block's size. */
    record Footer(long term, long writer, long[] blockSizes) {
        int end() {
            return blockSizes.length;
        }

        long bytes() {
            long sum = 0;
            for (long s : blockSizes) {
                sum += s;
            }
            return sum;
        }
    }

    static byte[] footer(Footer f) {
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 8 + 4 + 8 * f.end() + 4);
        b.putInt(FOOTER_MAGIC).put(VERSION).putLong(f.term()).putLong(f.writer()).putInt(f.end());
        for (long s : f.blockSizes()) {
            b.putLong(s);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static Footer footer(byte[] bytes, String where) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < 4 + 1 + 8 + 8 + 4 + 4 || b.getInt(0) != FOOTER_MAGIC) {
            throw StreamingException.corrupted(where + ": not a segment footer");
        }
        int end = b.getInt(21);
        if (end < 0 || bytes.length != 25 + 8L * end + 4) {
            throw StreamingException.corrupted(where + ": a segment footer of the wrong length");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if (b.getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw StreamingException.corrupted(where + ": the segment footer fails its checksum");
        }
        long[] sizes = new long[end];
        b.position(25);
        for (int i = 0; i < end; i++) {
            sizes[i] = b.getLong();
        }
        return new Footer(b.getLong(5), b.getLong(13), sizes);
    }
}
