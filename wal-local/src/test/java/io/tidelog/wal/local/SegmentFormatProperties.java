package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The record framing: whatever is written reads back exactly, and no single damaged bit passes. */
class SegmentFormatProperties {

    @Provide
    Arbitrary<List<byte[]>> records() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(3000).list().ofMinSize(1).ofMaxSize(20);
    }

    @Property(tries = 300)
    void anyBatchReadsBackExactlyAsWritten(@ForAll("records") List<byte[]> records,
                                           @ForAll @LongRange(min = 0, max = 1L << 40) long index,
                                           @ForAll @LongRange(min = 0, max = 1L << 40) long term) throws Exception {
        SegmentImage img = new SegmentImage(index, term, 128 << 10, (byte) 0);
        long at = img.append(records);

        Batch b = img.readBatch(at);
        assertThat(b.kind).isEqualTo(Batch.Kind.RECORDS);
        assertThat(b.header.term()).isEqualTo(term);
        assertThat(b.entries).hasSize(records.size());
        long expectedPosition = at + SegmentFormat.BATCH_HEADER_BYTES;
        for (int i = 0; i < records.size(); i++) {
            Batch.Entry e = b.entries.get(i);
            assertThat(e.position()).isEqualTo(expectedPosition);
            byte[] got = new byte[e.payload().remaining()];
            e.payload().duplicate().get(got);
            assertThat(got).isEqualTo(records.get(i));
            expectedPosition += SegmentFormat.RECORD_HEADER_BYTES + records.get(i).length;
        }
        assertThat(b.length() % SegmentFormat.ALIGNMENT).isZero();
    }

    @Property(tries = 500)
    void anySingleFlippedBitInABatchIsDetected(@ForAll("records") List<byte[]> records,
                                               @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
                                               @ForAll @IntRange(min = 0, max = 7) int bit) throws Exception {
        SegmentImage img = new SegmentImage(3, 1, 128 << 10, (byte) 0);
        long at = img.append(records);
        long length = img.batches.get(0)[1];
        img.flipBit(at + where % length, bit);

        Batch b = img.readBatch(at);
        assertThat(b.kind).isEqualTo(Batch.Kind.INVALID);
        // records verified on their own before the damage are real ones, unchanged
        for (int i = 0; i < b.entries.size(); i++) {
            byte[] got = new byte[b.entries.get(i).payload().remaining()];
            b.entries.get(i).payload().duplicate().get(got);
            assertThat(got).isEqualTo(records.get(i));
        }
    }

    @Property(tries = 200)
    void aBatchIsValidOnlyForItsOwnSegmentAndPosition(@ForAll("records") List<byte[]> records,
                                                      @ForAll @IntRange(min = 1, max = 1000) int shift) throws Exception {
        SegmentImage img = new SegmentImage(7, 1, 128 << 10, (byte) 0);
        ByteBuffer batch = img.encode(records);
        // the same bytes at another position, or in another segment, are not a batch there
        long elsewhere = img.end + (long) shift * SegmentFormat.ALIGNMENT;
        img.putAt(elsewhere, batch);
        assertThat(img.readBatch(elsewhere).kind).isEqualTo(Batch.Kind.INVALID);

        SegmentImage other = new SegmentImage(8, 1, 128 << 10, (byte) 0);
        other.putAt(img.end, batch);
        assertThat(other.readBatch(img.end).kind).isEqualTo(Batch.Kind.INVALID);
    }
}
