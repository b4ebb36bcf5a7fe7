package io.tidelog.bench;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The private directory of one benchmark run: a fresh {@code tidelog-bench-*} directory inside the
 * directory the user named (or the system temporary directory), removed with everything in it when the
 * run ends, also on Ctrl-C. The user's directory itself is never removed. What writes into it from
 * outside this JVM (a child process) is stopped first ({@link #beforeRemoval}).
 */
final class WorkDir implements AutoCloseable {
    private final Path path;
    private final Thread cleanupOnExit;
    private volatile Runnable beforeRemoval = () -> { };
    private boolean closed;

    private WorkDir(Path path) {
        this.path = path;
        this.cleanupOnExit = new Thread(() -> {
            beforeRemoval.run();
            deleteQuietly(path);
        }, "tidelog-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    }

    /** Creates the run's directory inside {@code parent}, or inside the system temp dir if null. */
    static WorkDir create(Path parent) throws IOException {
        return create(parent, "tidelog-bench-");
    }

    /** Creates a directory named {@code prefix} and a random suffix inside {@code parent} (or the temp dir). */
    static WorkDir create(Path parent, String prefix) throws IOException {
        Path base = parent != null ? parent : Path.of(System.getProperty("java.io.tmpdir"));
        if (!Files.isDirectory(base)) {
            throw new IOException("benchmark directory " + base + " does not exist or is not a directory");
        }
        if (!Files.isWritable(base)) {
            throw new IOException("benchmark directory " + base + " is not writable");
        }
        return new WorkDir(Files.createTempDirectory(base, prefix));
    }

    Path path() {
        return path;
    }

    /** Runs {@code stop} before the directory is removed, by {@link #close} or on exit: it stops what writes there. */
    void beforeRemoval(Runnable stop) {
        beforeRemoval = stop;
    }

    /** A new, empty sub-directory for one sample. */
    Path newDirectory(String name) throws IOException {
        return Files.createDirectory(path.resolve(name));
    }

    /** Deletes {@code dir} and everything below it; a missing directory is not an error. */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                deleteIfPresent(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                deleteIfPresent(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteIfPresent(Path p) throws IOException {
        try {
            Files.delete(p);
        } catch (NoSuchFileException ignored) {
            // removed concurrently (a backend closing late): what we wanted
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            delete(dir);
        } catch (IOException e) {
            System.err.println("warning: could not remove " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException shuttingDown) {
            return; // the hook is running and removes the directory
        }
        beforeRemoval.run();
        try {
            delete(path);
        } catch (IOException e) {
            throw new IOException("could not remove the benchmark directory " + path + ": " + e.getMessage(), e);
        }
    }
}
