package io.tidelog.wal.local;

import io.tidelog.common.MessageId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test helpers that damage the local backend's files the way crashes and bad disks do. */
final class LocalFiles {
    private LocalFiles() {
    }

    static List<Path> segments(Path pchannelDir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(pchannelDir, "*.seg")) {
            files.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    /** Flips one bit in the middle of the payload of record {@code id}. */
    static void flipPayloadByte(Path pchannelDir, MessageId id) throws IOException {
        Path seg = pchannelDir.resolve(Segment.fileName(id.major()));
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(4);
            ch.read(len, id.minor());
            int length = len.getInt(0);
            flipBit(ch, id.minor() + SegmentFormat.RECORD_HEADER_BYTES + length / 2);
        }
    }

    static void flipBit(FileChannel ch, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        ch.read(b, position);
        b.put(0, (byte) (b.get(0) ^ 0x04)).clear();
        ch.write(b, position);
    }

    /**
     * Leaves a torn write after the valid data of the last segment: either random bytes or a valid
     * batch header whose records never made it to the disk, as a crash mid-write does.
     */
    static void tearTail(Path pchannelDir, Random random) throws IOException {
        List<Path> segs = segments(pchannelDir);
        if (segs.isEmpty()) {
            return;
        }
        Path last = segs.get(segs.size() - 1);
        long index = Long.parseLong(last.getFileName().toString().substring(0, 20));
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            SegmentScan.Result r = SegmentScan.scan(ByteSource.of(ch), index, ch.size());
            if (r.sealed() || r.end() + 4096 > ch.size()) {
                return;
            }
            ByteBuffer torn = ByteBuffer.allocate(64 + random.nextInt(2048));
            random.nextBytes(torn.array());
            if (random.nextBoolean()) {
                SegmentFormat.putBatchHeader(torn, 0, index, r.end(), 0, SegmentFormat.align(torn.capacity()), 3,
                        r.lastTerm(), 12345);
            }
            ch.write(torn, r.end());
        }
    }
}
