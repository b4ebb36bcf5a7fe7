package io.tidelog.wal.local;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Recovery of one segment: walks its batches from the start and finds where valid data ends, telling
 * a torn tail (left by a crash; safe to cut) from corruption (damage before data that was written
 * later, so the damaged data was once durable: report it).
 *
 * <p>The rule rests on the writer's order: a batch is written only after the previous one was synced.
 * So if any valid batch lies after an invalid one, the invalid one had been synced and was damaged
 * since: corruption. If none does, the data ends there: cleanly if a CLEAN marker or untouched
 * zeros follow it, and otherwise with the torn, unacknowledged tail of a crash, which the next
 * writer seals off rather than overwrites (no remnant of it can ever be read as data).
 */
final class SegmentScan {

    /**
     * @param end            where the next batch goes: after the last valid batch (the seal's position
     *                       for a sealed segment)
     * @param sealed         the segment ends with a seal
     * @param headerValid    the segment header names this segment
     * @param tornAt         position of a torn tail that must be cut before writing (-1 if none)
     * @param corruptAt      position of the first damaged byte range before valid data (-1 if none)
     * @param corruption     what is damaged there
     * @param batches        positions of the valid record batches, in order
     * @param lastTerm       the term of the last valid batch (0 if none)
     * @param records        the number of valid records
     */
    record Result(long end, boolean sealed, boolean headerValid, long tornAt, long corruptAt, String corruption,
                  BatchIndex batches, long lastTerm, long records) {
    }

    private SegmentScan() {
    }

    static Result scan(ByteSource source, long segmentIndex, long size) throws IOException {
        ReadAhead in = new ReadAhead(source, 1 << 20);
        boolean headerValid = size >= SegmentFormat.SEGMENT_HEADER_BYTES && SegmentFormat.isSegmentHeader(
                in.slice(0, SegmentFormat.SEGMENT_HEADER_BYTES, size), segmentIndex);
        BatchIndex batches = new BatchIndex();
        long pos = SegmentFormat.SEGMENT_HEADER_BYTES;
        long lastTerm = 0;
        long records = 0;
        long tornAt = -1;
        long corruptAt = -1;
        String corruption = null;
        boolean sealed = false;
        while (pos + SegmentFormat.BATCH_HEADER_BYTES <= size) {
            Batch b = Batch.read(in, segmentIndex, pos, size);
            boolean termOk = b.header == null || b.header.term() >= lastTerm;
            if (b.kind == Batch.Kind.SEAL && termOk) {
                sealed = true;
                break;
            }
            if (b.kind == Batch.Kind.RECORDS && termOk) {
                batches.add(pos);
                lastTerm = b.header.term();
                records += b.entries.size();
                pos += b.length();
                continue;
            }
            long next = findNextBatch(in, segmentIndex, pos + SegmentFormat.ALIGNMENT, size, lastTerm);
            if (next < 0) {
                if (b.kind != Batch.Kind.CLEAN && !b.unwritten()) {
                    tornAt = pos;
                }
                break;
            }
            if (corruptAt < 0) {
                corruptAt = b.kind == Batch.Kind.INVALID ? b.badPosition : pos;
                corruption = b.kind == Batch.Kind.INVALID ? b.reason
                        : b.kind == Batch.Kind.CLEAN ? "a clean-shutdown marker before later data"
                        : "batch term " + b.header.term() + " below the previous batch's term " + lastTerm;
            }
            pos = next;
        }
        return new Result(pos, sealed, headerValid, tornAt, corruptAt, corruption, batches, lastTerm, records);
    }

    /** The first position at or after {@code from} holding a whole valid batch or seal; -1 if none. */
    private static long findNextBatch(ReadAhead in, long segmentIndex, long from, long size, long minTerm)
            throws IOException {
        for (long p = SegmentFormat.align(from); p + SegmentFormat.BATCH_HEADER_BYTES <= size; p += SegmentFormat.ALIGNMENT) {
            ByteBuffer h = in.slice(p, 4, size);
            if (h.getInt(0) != SegmentFormat.BATCH_MAGIC) {
                continue;
            }
            Batch b = Batch.read(in, segmentIndex, p, size);
            // Any batch or marker written here proves the bytes before it were synced once.
            if (b.kind != Batch.Kind.INVALID && b.header.term() >= minTerm) {
                return p;
            }
        }
        return -1;
    }
}
