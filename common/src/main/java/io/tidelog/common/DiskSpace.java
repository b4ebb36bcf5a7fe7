package io.tidelog.common;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A full disk as Tidelog's storage components see it: recognising the failure, and saying which disk,
 * which directory and how much room is left, so that a {@code RESOURCE_EXHAUSTED} message tells the
 * operator what to free.
 *
 * <p>The JDK reports {@code ENOSPC} (and {@code EDQUOT}) only as an {@link IOException} carrying the
 * operating system's text; {@link #isNoSpace} matches that text, and, as a second witness, counts an
 * I/O failure on a disk with no usable byte left as a full disk too.
 */
public final class DiskSpace {
    /** strerror(ENOSPC) on Linux, macOS and the BSDs. */
    private static final String NO_SPACE = "No space left on device";
    /** strerror(EDQUOT): the user's quota on the disk is used up, which to the writer is the same. */
    private static final String QUOTA = "Disk quota exceeded";

    private DiskSpace() {
    }

    /**
     * Whether {@code failure} (or one of its causes) says that the disk holding {@code path} is full:
     * the operating system said so, or the disk has no usable byte left.
     */
    public static boolean isNoSpace(Throwable failure, Path path) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains(NO_SPACE) || m.contains(QUOTA))) {
                return true;
            }
        }
        return failure instanceof IOException && usableBytes(path) == 0;
    }

    /**
     * The bytes a writer without special privileges can still use on the disk holding {@code path} (the
     * nearest existing ancestor if it does not exist yet), or -1 if that cannot be told.
     */
    public static long usableBytes(Path path) {
        try {
            return Files.getFileStore(existing(path)).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The disk holding {@code path} as the operating system names it: its mount point and device. */
    public static String diskOf(Path path) {
        try {
            FileStore store = Files.getFileStore(existing(path));
            return store.toString();
        } catch (IOException | RuntimeException e) {
            return "(unknown disk)";
        }
    }

    /**
     * "the disk /mnt/data (/dev/sdb1) holding /mnt/data/wal is full: 0 bytes usable": the message part
     * naming the disk, the directory and the room left.
     */
    public static String describeFull(Path dir) {
        return "the disk " + diskOf(dir) + " holding " + dir.toAbsolutePath() + " is full: " + usable(dir);
    }

    /** "N bytes usable", or "usable space unknown". */
    public static String usable(Path path) {
        long usable = usableBytes(path);
        return usable < 0 ? "usable space unknown" : usable + " bytes usable";
    }

    /**
     * A {@code RESOURCE_EXHAUSTED} failure for something that could not be written because the disk
     * holding {@code dir} is full. Use it only when nothing of {@code what} was written.
     */
    public static StreamingException exhausted(String what, Path dir, Throwable cause) {
        return new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, what + ": " + describeFull(dir)
                + "; nothing was written; free space on that disk and retry", cause);
    }

    private static Path existing(Path path) {
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? path.toAbsolutePath().getRoot() : p;
    }
}
