package io.tidelog.delegator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's copies of files from object storage, in one directory, bounded by {@code query.file.cache.bytes}: once
 * they take more, the least recently used are deleted (a later read downloads them again). At start the files
 * already there are kept, oldest modified first in line to go, and the temporary files of downloads a crash cut short
 * are removed.
 *
 * <p>A file is deleted only when others were used after it, and never the one just added, so a file handed to a reader
 * is not deleted before the reader opens it unless the budget is smaller than the files read in between (then the
 * reader fails and its query may be retried).
 *
 * <p>Threads: thread-safe (one lock over the bookkeeping; deletions happen under it, they are rare and short).
 */
final class LocalFileCache {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFileCache.class);
    static final String TEMPORARY_SUFFIX = ".tmp";

    private final Path dir;
    private final long budget;
    /** Access order: the eldest is the least recently used. Guarded by this. */
    private final LinkedHashMap<Path, Long> sizes = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long evicted;

    LocalFileCache(Path dir, long budgetBytes) {
        this.dir = dir.normalize();
        this.budget = budgetBytes;
        if (Files.isDirectory(dir)) {
            adoptExisting();
        }
    }

    Path dir() {
        return dir;
    }

    private void adoptExisting() {
        record Found(Path path, long size, long modified) {
        }
        List<Found> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (!a.isRegularFile()) {
                    continue;
                }
                if (p.getFileName().toString().endsWith(TEMPORARY_SUFFIX)) {
                    Files.deleteIfExists(p);
                } else {
                    found.add(new Found(p.normalize(), a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot list the file cache {}; files there are not counted: {}", dir, e.toString());
        }
        found.sort(Comparator.comparingLong(Found::modified));
        synchronized (this) {
            for (Found f : found) {
                sizes.put(f.path(), f.size());
                bytes += f.size();
            }
            evictBeyondBudget(null);
        }
    }

    /** A cached file was read. */
    synchronized void used(Path file, long size) {
        Path p = file.normalize();
        if (sizes.get(p) == null) {
            sizes.put(p, size);
            bytes += size;
            evictBeyondBudget(p);
        }
    }

    /** A file was downloaded into the cache. */
    synchronized void added(Path file, long size) {
        Path p = file.normalize();
        Long before = sizes.put(p, size);
        bytes += size - (before == null ? 0 : before);
        evictBeyondBudget(p);
    }

    private void evictBeyondBudget(Path keep) {
        Iterator<Map.Entry<Path, Long>> eldest = sizes.entrySet().iterator();
        while (bytes > budget && eldest.hasNext()) {
            Map.Entry<Path, Long> e = eldest.next();
            if (e.getKey().equals(keep)) {
                continue;
            }
            try {
                Files.deleteIfExists(e.getKey());
            } catch (IOException ex) {
                LOG.warn("cannot delete {} from the file cache: {}", e.getKey(), ex.toString());
                continue;
            }
            bytes -= e.getValue();
            eldest.remove();
            evicted++;
        }
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int files() {
        return sizes.size();
    }

    synchronized long evicted() {
        return evicted;
    }
}
