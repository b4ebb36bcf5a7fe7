package io.tidelog.common;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Syncing a directory, so that a file created, renamed or removed in it stays so after a crash. */
public final class Fsync {
    private Fsync() {
    }

    /** Forces the directory's entries to the disk; returns once they are durable. */
    public static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
