package io.tidelog.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for one test: a real disk that really fills up ({@code ENOSPC}, short writes).
 * Mounting needs root: elsewhere, and wherever {@code mount} fails, {@link #mount} skips the test (a JUnit
 * assumption) and prints why. {@link #close()} unmounts it, also after a failed test.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path dir;
    private boolean mounted;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} (rounded up to pages by the kernel) on {@code dir}, creating it. */
    public static Tmpfs mount(Path dir, long bytes) throws IOException, InterruptedException {
        String uid;
        try {
            uid = run(List.of("id", "-u")).output.strip();
        } catch (IOException e) {
            uid = "unknown: " + e.getMessage();
        }
        skipUnless("0".equals(uid), "a disk-full test mounts a tmpfs, which needs root (uid is " + uid + ")");
        Files.createDirectories(dir);
        Result r = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString()));
        skipUnless(r.status == 0, "mount -t tmpfs failed (" + r.status + "): " + r.output.strip());
        Tmpfs t = new Tmpfs(dir);
        t.mounted = true;
        return t;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes {@code name} in the tmpfs until the disk is full, and returns its size. Every write but the
     * last fits; the last one fails with {@code ENOSPC}, so afterwards no page is free.
     */
    public long fill(String name) throws IOException {
        Path f = dir.resolve(name);
        ByteBuffer block = ByteBuffer.allocate(1 << 16);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            while (true) {
                block.clear();
                try {
                    while (block.hasRemaining()) {
                        ch.write(block);
                    }
                } catch (IOException e) {
                    if (String.valueOf(e.getMessage()).contains("No space left on device")) {
                        return ch.size();
                    }
                    throw e;
                }
            }
        }
    }

    /** Unmounts (lazily if still busy); idempotent. */
    @Override
    public void close() throws IOException {
        if (!mounted) {
            return;
        }
        mounted = false;
        try {
            if (run(List.of("umount", dir.toString())).status != 0) {
                Result lazy = run(List.of("umount", "-l", dir.toString()));
                if (lazy.status != 0) {
                    throw new IOException("cannot unmount the tmpfs on " + dir + ": " + lazy.output.strip());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unmounting the tmpfs on " + dir, e);
        }
    }

    private static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            System.out.println("skipped: " + reason);
        }
        Assumptions.assumeTrue(condition, reason);
    }

    private record Result(int status, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, command + " did not finish within 30 s");
        }
        return new Result(p.exitValue(), out);
    }
}
