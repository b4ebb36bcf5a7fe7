package io.tidelog.objectstore.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Syncing a directory, so that a file created, renamed or removed in it stays so after a crash. */
final class Fsync {
    private Fsync() {
    }

    static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
