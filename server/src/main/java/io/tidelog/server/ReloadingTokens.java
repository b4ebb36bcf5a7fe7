package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens of a {@link TokenFile}, read again whenever the file changes: a timer thread of its own polls the
 * file's modification time, size and identity every {@code interval} and reads it when one of them changed (an edit
 * in place or a new file moved over it). A file that cannot be read or is malformed leaves the last good tokens in
 * force and logs one error per change; the start itself fails on such a file. Thread-safe: {@link #caller} reads a
 * volatile snapshot; only the timer thread writes it.
 */
final class ReloadingTokens implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingTokens.class);

    private final Path file;
    private final List<TokenFile.Extra> extra;
    private final ScheduledExecutorService timer;
    private volatile TokenFile current;
    /** What the file looked like when last read (successfully or not); on the timer thread. */
    private Object stamp;
    /** Changes of the file seen (each read, successful or not): for tests to know a change was noticed. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    private ReloadingTokens(Path file, List<TokenFile.Extra> extra) {
        this.file = file;
        this.extra = List.copyOf(extra);
        this.stamp = stamp(file);
        this.current = TokenFile.read(file, this.extra);
        this.timer = Executors.newSingleThreadScheduledExecutor(ServerExecutors.daemon("token-file"));
    }

    /**
     * Reads {@code file} and starts polling it.
     *
     * @param extra tokens besides the file's (the cluster's, the process's own), all admin
     * @throws StreamingException {@code INVALID_ARGUMENT} if the file cannot be read or is malformed
     */
    static ReloadingTokens start(Path file, Duration interval, List<TokenFile.Extra> extra) {
        ReloadingTokens t = new ReloadingTokens(Objects.requireNonNull(file, "file"), extra);
        long ms = interval.toMillis();
        t.timer.scheduleWithFixedDelay(t::poll, ms, ms, TimeUnit.MILLISECONDS);
        LOG.info("token authentication on: {} tokens from {}, checked for changes every {}", t.current.size()
                - t.extra.size(), file, interval);
        return t;
    }

    /** The caller whose token {@code token} is, in the tokens now in force. */
    Optional<TokenFile.Caller> caller(String token) {
        return current.caller(token);
    }

    private void poll() {
        Object now = stamp(file);
        if (Objects.equals(now, stamp)) {
            return;
        }
        stamp = now;
        try {
            readAgain();
        } finally {
            changes.incrementAndGet();
        }
    }

    private void readAgain() {
        try {
            TokenFile read = TokenFile.read(file, extra);
            current = read;
            LOG.info("token file {} changed: {} tokens now", file, read.size() - extra.size());
        } catch (StreamingException e) {
            LOG.error("token file {} changed but cannot be used, the tokens read before stay in force: {}", file,
                    e.detail());
        } catch (RuntimeException e) {
            LOG.error("token file {}: reading it failed, the tokens read before stay in force", file, e);
        }
    }

    /** How many changes of the file were seen since the start (read or refused). */
    long changesSeen() {
        return changes.get();
    }

    /** Modification time, size and file key; a missing file has a stamp of its own. */
    private static Object stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            return "unreadable: " + e.getClass().getSimpleName();
        }
    }

    @Override
    public void close() {
        try {
            ServerExecutors.shutdown(timer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
