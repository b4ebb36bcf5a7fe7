package io.tidelog.delegator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's copies of flushed files: bounded on disk, least recently used deleted first, leftovers adopted. */
class LocalFileCacheTest {
    @TempDir
    Path dir;

    Path write(String name, int size) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[size]);
        return p;
    }

    @Test
    void beyondTheBudgetTheLeastRecentlyUsedFilesAreDeletedButNeverTheOneJustAdded() throws IOException {
        LocalFileCache cache = new LocalFileCache(dir, 250);
        Path a = write("c/1/a", 100);
        cache.added(a, 100);
        Path b = write("c/1/b", 100);
        cache.added(b, 100);
        cache.used(a, 100); // b is now the least recently used
        Path c = write("c/2/c", 100);
        cache.added(c, 100);
        assertThat(b).as("least recently used").doesNotExist();
        assertThat(a).exists();
        assertThat(c).exists();
        assertThat(cache.bytes()).isEqualTo(200);
        assertThat(cache.evicted()).isEqualTo(1);

        Path huge = write("c/3/huge", 1000);
        cache.added(huge, 1000);
        assertThat(huge).as("the file just added stays, even alone over the budget").exists();
        assertThat(a).doesNotExist();
        assertThat(c).doesNotExist();
        assertThat(cache.files()).isEqualTo(1);
    }

    @Test
    void filesLeftByAnEarlierRunAreCountedOldestFirstInLineAndTornDownloadsRemoved() throws IOException {
        Path old = write("c/1/old", 100);
        Files.setLastModifiedTime(old, FileTime.fromMillis(1_000));
        Path recent = write("c/1/recent", 100);
        Files.setLastModifiedTime(recent, FileTime.fromMillis(2_000));
        Path torn = write("c/1/x" + LocalFileCache.TEMPORARY_SUFFIX, 50);

        LocalFileCache cache = new LocalFileCache(dir, 150);
        assertThat(torn).doesNotExist();
        assertThat(old).as("the oldest goes first to fit the budget").doesNotExist();
        assertThat(recent).exists();
        assertThat(cache.bytes()).isEqualTo(100);
        assertThat(new LocalFileCache(dir.resolve("none"), 10).files()).as("no directory yet").isZero();
    }
}
