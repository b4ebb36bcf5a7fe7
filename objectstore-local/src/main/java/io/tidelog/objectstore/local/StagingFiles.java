package io.tidelog.objectstore.local;

import io.tidelog.objectstore.ObjectKeys;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Names of the temporary files a write stages its bytes in, beside the object it will become:
 *
 * <pre>
 *   .tidelog-tmp-&lt;pid&gt;-&lt;process start, epoch ms&gt;-&lt;random hex&gt;
 * </pre>
 *
 * The {@value ObjectKeys#RESERVED_SEGMENT_PREFIX} prefix is reserved by {@link ObjectKeys}, so no key
 * names a staging file and {@code list} skips them. The owner's pid and start time tell a stale file
 * (its process is gone, even when a restarted container reuses the pid) from one a live writer in
 * another process or another store instance is still filling, so open removes only the former.
 */
final class StagingFiles {
    static final String PREFIX = ObjectKeys.RESERVED_SEGMENT_PREFIX + "tmp-";

    private static final long PID = ProcessHandle.current().pid();
    private static final long STARTED = startMillis(ProcessHandle.current());

    private StagingFiles() {
    }

    /** A fresh staging name owned by this process. */
    static String newName() {
        return PREFIX + PID + "-" + STARTED + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    static boolean isStaging(Path file) {
        return file.getFileName().toString().startsWith(PREFIX);
    }

    /** A staging name whose owner process is gone (or that this code did not write). */
    static boolean isStale(String name) {
        String[] parts = name.substring(PREFIX.length()).split("-");
        if (parts.length != 3) {
            return true;
        }
        long pid;
        long started;
        try {
            pid = Long.parseLong(parts[0]);
            started = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            return true;
        }
        Optional<ProcessHandle> owner = ProcessHandle.of(pid);
        if (owner.isEmpty() || !owner.get().isAlive()) {
            return true;
        }
        long ownerStarted = startMillis(owner.get());
        return ownerStarted != 0 && started != 0 && ownerStarted != started;
    }

    /** Removes every stale staging file under {@code root}; returns how many. */
    static int removeStale(Path root) throws IOException {
        int[] removed = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (isStaging(file) && isStale(file.getFileName().toString()) && Files.deleteIfExists(file)) {
                    removed[0]++;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return removed[0];
    }

    private static long startMillis(ProcessHandle process) {
        return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
