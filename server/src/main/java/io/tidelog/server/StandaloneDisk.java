package io.tidelog.server;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.local.LocalWalConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fitting a standalone server to the disk of its data directory, before anything is written there.
 *
 * <p><b>Room to start.</b> A start writes little: the meta store's file, and per pchannel a term file and
 * the first block of its first segment (segment files are sparse until written, and spares are preallocated
 * only while {@code wal.local.disk.reserve.bytes} stays usable). Measured on tmpfs: 84 KiB plus 12 KiB a
 * pchannel. A start asks for {@value #META_BYTES} bytes for the meta store plus {@value #PCHANNEL_BYTES} a
 * pchannel; a disk with less usable fails it at once, saying so, rather than half-way at its first write.
 *
 * <p><b>Segments.</b> Truncation frees whole segments, and the last one of every pchannel is kept, so on a
 * disk that cannot hold a few segments per pchannel the log could never give room back. When
 * {@code wal.local.segment.bytes} is not set, a segment is at most a quarter of the usable space per pchannel
 * (rounded down to a MiB), never above the standalone default and never below the smallest segment that holds
 * the largest record.
 */
final class StandaloneDisk {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneDisk.class);
    static final long META_BYTES = 1 << 20;
    static final long PCHANNEL_BYTES = 64 << 10;
    static final int SEGMENTS_PER_PCHANNEL = 4;
    private static final long MIB = 1 << 20;

    private StandaloneDisk() {
    }

    /**
     * Fails with {@code RESOURCE_EXHAUSTED} if a disk cannot hold what the start writes on it.
     *
     * @throws StreamingException naming how much is needed, on which disk, for which directories, and how much
     *                            is usable
     */
    static void checkRoomToStart(Path metaDir, Path walDir, int pchannels) {
        Map<String, List<Path>> dirs = new LinkedHashMap<>();
        Map<String, Long> needs = new LinkedHashMap<>();
        need(dirs, needs, metaDir, META_BYTES);
        if (walDir != null) { // null: the WAL is not on this machine's disk
            need(dirs, needs, walDir, pchannels * PCHANNEL_BYTES);
        }
        for (Map.Entry<String, Long> n : needs.entrySet()) {
            Path any = dirs.get(n.getKey()).get(0);
            long usable = DiskSpace.usableBytes(any);
            if (usable >= 0 && usable < n.getValue()) {
                throw new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "tidelog standalone needs " + n.getValue()
                        + " bytes usable on the disk " + n.getKey() + " to start (for " + dirs.get(n.getKey())
                        + ": the meta store " + META_BYTES + " bytes, each of the " + pchannels + " pchannels "
                        + PCHANNEL_BYTES + " bytes), but " + usable + " bytes are usable there; free space on it, "
                        + "or start with fewer pchannels (--pchannels)");
            }
        }
    }

    private static void need(Map<String, List<Path>> dirs, Map<String, Long> needs, Path dir, long bytes) {
        String disk = DiskSpace.diskOf(dir);
        dirs.computeIfAbsent(disk, d -> new ArrayList<>()).add(dir.toAbsolutePath());
        needs.merge(disk, bytes, Long::sum);
    }

    /**
     * The segment size for {@code pchannels} on the disk of {@code walDir}: {@code preferred}, or less on a
     * small disk, or more if the largest record needs it (see the class comment).
     */
    static long segmentBytes(Path walDir, int pchannels, long preferred, Map<String, String> walProperties) {
        long smallest = (LocalWalConfig.smallestSegmentBytes(walProperties) + MIB - 1) / MIB * MIB;
        long usable = DiskSpace.usableBytes(walDir);
        long fitting = usable < 0 ? preferred : usable / ((long) SEGMENTS_PER_PCHANNEL * pchannels) / MIB * MIB;
        long bytes = Math.max(smallest, Math.min(preferred, fitting));
        if (bytes != preferred) {
            LOG.info("the disk {} has {} bytes usable: WAL segments of {} bytes for {} pchannels, not {} ({} unset)",
                    DiskSpace.diskOf(walDir), usable, bytes, pchannels, preferred, LocalWalConfig.SEGMENT_BYTES);
        }
        return bytes;
    }
}
