package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Recovery of a segment's tail after a crash: every batch written before the crash's batch survives
 * whole, the batch being written is either whole or absent, wherever the write was torn and whatever
 * the bytes behind it were; damage to earlier batches is reported as corruption, never cut away.
 */
class TailRecoveryProperties {
    private static final int SIZE = 256 << 10;

    @Provide
    Arbitrary<List<List<byte[]>>> batches() {
        Arbitrary<List<byte[]>> batch = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(1500)
                .list().ofMinSize(1).ofMaxSize(8);
        return batch.list().ofMinSize(1).ofMaxSize(12);
    }

    /** A segment file whose previous life left stale bytes, or a fresh one of zeros. */
    private static SegmentImage image(boolean stale, long seed) {
        if (!stale) {
            return new SegmentImage(5, 2, SIZE, (byte) 0);
        }
        byte[] background = new byte[SIZE];
        new Random(seed).nextBytes(background);
        // a previous life of the same file: valid batches of an older segment at the same offsets
        SegmentImage old = new SegmentImage(1, 1, background);
        Random r = new Random(seed + 1);
        while (true) {
            List<byte[]> recs = List.of(new byte[r.nextInt(2000)], new byte[r.nextInt(100)]);
            if (!old.fits(recs)) {
                break;
            }
            old.append(recs);
        }
        return new SegmentImage(5, 2, old.bytes.array());
    }

    @Property(tries = 400)
    void aTornLastBatchIsWholeOrAbsentAndEveryEarlierBatchSurvives(
            @ForAll("batches") List<List<byte[]>> batches,
            @ForAll boolean staleBackground,
            @ForAll long seed) throws Exception {
        SegmentImage img = image(staleBackground, seed);
        List<List<byte[]>> written = new ArrayList<>();
        for (List<byte[]> b : batches.subList(0, batches.size() - 1)) {
            if (img.fits(b)) {
                img.append(b);
                written.add(b);
            }
        }
        long ackedEnd = img.end;
        List<byte[]> inFlight = batches.get(batches.size() - 1);
        if (!img.fits(inFlight)) {
            return;
        }
        // the crash: only some 512-byte sectors of the in-flight batch reached the disk, in any order
        ByteBuffer full = img.encode(inFlight);
        Random r = new Random(seed);
        boolean allWritten = true;
        for (int s = 0; s < full.limit(); s += 512) {
            if (r.nextBoolean()) {
                ByteBuffer sector = full.duplicate();
                sector.position(s).limit(Math.min(full.limit(), s + 512));
                img.putAt(ackedEnd + s, sector.slice());
            } else {
                allWritten = false;
            }
        }

        SegmentScan.Result result = img.scan();
        assertThat(result.corruptAt()).as("a torn tail is not corruption").isEqualTo(-1);
        long expectedRecords = written.stream().mapToLong(List::size).sum();
        if (result.end() == ackedEnd) {
            assertThat(result.records()).isEqualTo(expectedRecords);
        } else {
            assertThat(allWritten).as("the in-flight batch may survive only if all of it was written").isTrue();
            assertThat(result.end()).isEqualTo(ackedEnd + full.limit());
            assertThat(result.records()).isEqualTo(expectedRecords + inFlight.size());
        }
        assertThat(result.batches().size()).isEqualTo(written.size() + (result.end() == ackedEnd ? 0 : 1));
    }

    @Property(tries = 300)
    void aDamagedBatchBeforeLaterDataIsReportedAsCorruptionWithItsPosition(
            @ForAll("batches") List<List<byte[]>> batches,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int victimChoice,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
            @ForAll @IntRange(min = 0, max = 7) int bit,
            @ForAll boolean cleanShutdown) throws Exception {
        SegmentImage img = new SegmentImage(5, 2, SIZE, (byte) 0);
        for (List<byte[]> b : batches) {
            if (img.fits(b)) {
                img.append(b);
            }
        }
        if (cleanShutdown) {
            img.putAt(img.end, SegmentFormat.cleanHeader(img.index, img.end, img.term));
        }
        int candidates = img.batches.size() - (cleanShutdown ? 0 : 1);
        if (candidates <= 0) {
            return;
        }
        long[] victim = img.batches.get(victimChoice % candidates);
        img.flipBit(victim[0] + where % victim[1], bit);

        SegmentScan.Result result = img.scan();
        assertThat(result.corruptAt()).isBetween(victim[0], victim[0] + victim[1] - 1);
        assertThat(result.end()).as("valid data after the damage is kept").isEqualTo(img.end);
        assertThat(result.tornAt()).isEqualTo(-1);
    }

    @Property(tries = 200)
    void aCleanShutdownMarkerEndsTheDataWithoutATornTail(@ForAll("batches") List<List<byte[]>> batches,
                                                         @ForAll boolean staleBackground,
                                                         @ForAll long seed) throws Exception {
        SegmentImage img = image(staleBackground, seed);
        for (List<byte[]> b : batches) {
            if (img.fits(b)) {
                img.append(b);
            }
        }
        img.putAt(img.end, SegmentFormat.cleanHeader(img.index, img.end, img.term));
        SegmentScan.Result result = img.scan();
        assertThat(result.end()).isEqualTo(img.end);
        assertThat(result.tornAt()).isEqualTo(-1);
        assertThat(result.corruptAt()).isEqualTo(-1);
    }
}
