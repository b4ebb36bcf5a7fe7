package io.tidelog.objectstore.local;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.Fsync;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectKeys;
import io.tidelog.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@link ObjectStore} in a local directory: the standalone default. Each object is a regular file
 * at its key under the root ({@code a/b/c} is {@code ROOT/a/b/c}), so the tree can be read by any tool
 * (DuckDB over the Parquet files, for example).
 *
 * <pre>
 *   ROOT/a/b/c                             object a/b/c
 *   ROOT/a/b/.tidelog-tmp-PID-START-RAND   a write in progress (or left by a crash; removed on open)
 * </pre>
 *
 * <p><b>Writes.</b> Every write first stages its bytes in a new file in the object's directory and
 * {@code fsync}s it. Then {@link #put} renames the staged file over the object ({@code rename(2)},
 * atomic, replacing), and {@link #createIfAbsent} hard-links it to the object's name ({@code link(2)},
 * which fails if the name exists: atomic across threads, store instances and processes on one host);
 * finally the directory is {@code fsync}ed, which is the durability point. A directory created on the
 * way is {@code fsync}ed into its parent. Objects are never modified in place, so a reader holding a
 * file open reads one whole version.
 *
 * <p><b>Deletes</b> remove the file, sync its directory, then remove the directories the delete left empty, up to
 * the root (the first one that holds anything stops it), so that a store whose keys keep moving on (the objectstore
 * WAL's segments, truncated away one after another) does not pile up empty directories. A writer that meets a
 * directory removed under it creates it again; an object may also take the name of an empty directory left by a
 * crash.
 *
 * <p><b>Open</b> creates the root if needed and walks the tree once to remove staging files whose
 * owner process is gone. Closing releases nothing but the right to call: the store holds no open files
 * between calls.
 *
 * <p>Requires a file system with hard links and atomic rename (every local Linux or macOS one).
 */
public final class DirectoryObjectStore implements ObjectStore {
    /**
     * Tries of a write that races with a directory on its way being removed: a delete pruning it, or an empty
     * directory of the object's name.
     */
    private static final int ATTEMPTS = 8;

    private final Path root;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Opens the store, creating its root and removing stale staging files. */
    public DirectoryObjectStore(DirectoryObjectStoreConfig config) {
        this.root = config.root();
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root);
                if (root.getParent() != null) {
                    Fsync.directory(root.getParent());
                }
            }
            StagingFiles.removeStale(root);
        } catch (IOException e) {
            throw new StreamingException(ErrorCode.INNER, "cannot open object store " + describe() + ": " + e, e);
        }
    }

    /** The directory holding the objects (absolute). */
    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return "file:" + root;
    }

    @Override
    public void put(String key, byte[] data) {
        Path target = target(key);
        Objects.requireNonNull(data, "data");
        try {
            publish(key, target, stage(key, target, ch -> writeFully(ch, data)), false);
        } catch (IOException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public void put(String key, Path file) {
        Path target = target(key);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw StreamingException.invalidArgument("cannot put " + key + " from " + file
                    + ": not a readable regular file");
        }
        try {
            publish(key, target, stage(key, target, ch -> copy(file, ch)), false);
        } catch (IOException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        Path target = target(key);
        Objects.requireNonNull(data, "data");
        try {
            return publish(key, target, stage(key, target, ch -> writeFully(ch, data)), true);
        } catch (IOException e) {
            throw failure("createIfAbsent", key, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        Path target = target(key);
        try {
            return Optional.of(Files.readAllBytes(target));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            throw failure("get", key, e);
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        Path target = target(key);
        if (offset < 0 || length < 0) {
            throw StreamingException.invalidArgument("invalid range of " + key + ": offset " + offset
                    + ", length " + length);
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset >= size) {
                requireRegularFile(key, target);
                return new byte[0];
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, size - offset));
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new IOException("file shrank while reading: " + target);
                }
            }
            return buf.array();
        } catch (NoSuchFileException e) {
            throw notFound(key);
        } catch (IOException e) {
            requireRegularFile(key, target);
            throw failure("getRange", key, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        ObjectKeys.requireValidPrefix(prefix);
        ensureOpen();
        String dirPart = prefix.substring(0, prefix.lastIndexOf('/') + 1);
        Path start = dirPart.isEmpty() ? root : root.resolve(dirPart);
        List<ObjectInfo> found = new ArrayList<>();
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(start)) {
                        return FileVisitResult.CONTINUE;
                    }
                    String dirKey = keyOf(dir) + "/";
                    return dirKey.startsWith(prefix) || prefix.startsWith(dirKey)
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !StagingFiles.isStaging(file)) {
                        String key = keyOf(file);
                        if (key.startsWith(prefix) && ObjectKeys.isValidKey(key)) {
                            found.add(new ObjectInfo(key, attrs.size()));
                        }
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
        } catch (IOException e) {
            throw failure("list", prefix, e);
        }
        found.sort(Comparator.comparing(ObjectInfo::key));
        return found;
    }

    @Override
    public boolean delete(String key) {
        Path target = target(key);
        try {
            if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            try {
                Files.delete(target);
            } catch (NoSuchFileException e) {
                return false;
            }
            try {
                Fsync.directory(target.getParent());
            } catch (NoSuchFileException e) {
                return true; // another delete emptied and pruned the directory: the entry went with it
            }
            pruneEmptyDirectories(target.getParent());
            return true;
        } catch (IOException e) {
            throw failure("delete", key, e);
        }
    }

    /**
     * Removes {@code dir} and its parents below the root while they are empty. Not synced: a crash may leave an
     * empty directory behind, which costs nothing and is pruned by the next delete under it.
     */
    private void pruneEmptyDirectories(Path dir) {
        for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (IOException e) {
                return; // not empty (or already gone, or not ours to remove): the directories above hold it
            }
        }
    }

    @Override
    public void close() {
        closed.set(true);
    }

    // ---------------------------------------------------------------- writing

    /** Writes a staged file's contents through its channel. */
    private interface Filler {
        void fill(FileChannel ch) throws IOException;
    }

    /**
     * Creates a staging file beside {@code target}, fills it and syncs it; returns its path. Creates
     * (and syncs) missing directories on the way, again if a concurrent writer removed one meanwhile.
     */
    private Path stage(String key, Path target, Filler filler) throws IOException {
        Path dir = target.getParent();
        for (int attempt = 1; ; attempt++) {
            Path staged = dir.resolve(StagingFiles.newName());
            try {
                ensureDirectory(key, dir);
                try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    try {
                        filler.fill(ch);
                        ch.force(true);
                    } catch (IOException | RuntimeException e) {
                        Files.deleteIfExists(staged);
                        throw e;
                    }
                    return staged;
                }
            } catch (NoSuchFileException e) {
                // a delete pruned a directory on the way after it was found or made: make it again
                if (attempt >= ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Makes the staged file the object {@code target}, replacing (rename) or only if absent (link), then
     * syncs the directory. The staged name is gone afterwards in every case.
     *
     * @return whether the object now holds the staged bytes (always true when replacing)
     */
    private boolean publish(String key, Path target, Path staged, boolean onlyIfAbsent) throws IOException {
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    if (onlyIfAbsent) {
                        Files.createLink(target, staged);
                    } else {
                        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
                    }
                    Fsync.directory(target.getParent());
                    return true;
                } catch (IOException e) {
                    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || attempt >= ATTEMPTS) {
                        if (onlyIfAbsent && e instanceof FileAlreadyExistsException) {
                            return false;
                        }
                        throw e;
                    }
                    removeEmptyDirectory(key, target);
                }
            }
        } catch (UnsupportedOperationException e) {
            throw new StreamingException(ErrorCode.UNRECOVERABLE, "the file system of " + describe()
                    + " has no hard links, which conditional creates need", e);
        } finally {
            Files.deleteIfExists(staged);
        }
    }

    /** Creates {@code dir} and its missing parents below the root, each synced into its parent. */
    private void ensureDirectory(String key, Path dir) throws IOException {
        if (Files.isDirectory(dir) || dir.equals(root)) {
            return;
        }
        ensureDirectory(key, dir.getParent());
        try {
            Files.createDirectory(dir);
            Fsync.directory(dir.getParent());
        } catch (FileAlreadyExistsException e) {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw conflict(key, root.relativize(dir) + " is an object");
            }
            // a delete pruned the directory between the create and the look: the caller makes it again
            throw new NoSuchFileException(dir.toString());
        }
    }

    /** An object may take the name of a directory only if deletes left it empty. */
    private void removeEmptyDirectory(String key, Path dir) throws IOException {
        try {
            Files.delete(dir);
        } catch (DirectoryNotEmptyException e) {
            throw conflict(key, key + "/ holds other objects");
        } catch (NoSuchFileException e) {
            // removed by a concurrent writer of the same key: try again
        }
    }

    private static void writeFully(FileChannel ch, byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void copy(Path source, FileChannel ch) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                long n = in.transferTo(done, size - done, ch);
                if (n <= 0) {
                    throw new IOException("file shrank while copying: " + source);
                }
                done += n;
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The file of a valid key; checks the key first and the store's state next. */
    private Path target(String key) {
        ObjectKeys.requireValidKey(key);
        ensureOpen();
        return root.resolve(key);
    }

    private String keyOf(Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw StreamingException.onShutdown("object store " + describe() + " is closed");
        }
    }

    private void requireRegularFile(String key, Path target) {
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw notFound(key);
        }
    }

    private StreamingException notFound(String key) {
        return new StreamingException(ErrorCode.NOT_FOUND, "no object " + key + " in " + describe());
    }

    private StreamingException conflict(String key, String why) {
        return StreamingException.invalidArgument("cannot write " + key + " in " + describe() + ": " + why
                + " (a directory store cannot hold both a/b and a)");
    }

    private StreamingException failure(String operation, String key, IOException e) {
        return new StreamingException(ErrorCode.INNER, operation + " " + key + " in " + describe()
                + " failed: " + e, e);
    }
}
