package io.tidelog.server;

import java.time.Duration;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One short line for a connection to the gRPC port that fails, at most one per {@link #INTERVAL} with the count
 * of those left out, instead of grpc-netty's 25-line stack trace per connection.
 *
 * <p>grpc-netty-shaded reports every transport that fails before or while speaking HTTP/2 (random bytes, a port
 * scanner, an HTTP/1 or TLS client on the plaintext port: "HTTP/2 client preface string missing or corrupt") as
 * "Transport failed" with the exception, at INFO, on the {@code java.util.logging} logger {@value #GRPC_LOGGER}
 * (ordinary disconnects go there at FINE, below what is logged). This handler takes that logger's records
 * instead of the console (no parent handlers) and writes the short line through SLF4J.
 */
final class ConnectionFailureLog extends Handler {
    static final String GRPC_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections";
    /** At most one line per interval. */
    static final Duration INTERVAL = Duration.ofSeconds(10);
    /** The longest reason a line quotes. */
    private static final int MAX_REASON = 160;

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionFailureLog.class);
    /** Held here: java.util.logging keeps loggers weakly, and a collected logger forgets its handler. */
    private static final java.util.logging.Logger GRPC = java.util.logging.Logger.getLogger(GRPC_LOGGER);
    private static boolean installed;

    private final LogRateLimit limit = new LogRateLimit(INTERVAL);

    private ConnectionFailureLog() {
    }

    /** Routes grpc-netty's connection failures through this handler; once per process, later calls do nothing. */
    static synchronized void install() {
        if (!installed) {
            GRPC.setUseParentHandlers(false);
            GRPC.addHandler(new ConnectionFailureLog());
            installed = true;
        }
    }

    @Override
    public void publish(LogRecord r) {
        if (!isLoggable(r)) {
            return;
        }
        long left = limit.admit(System.nanoTime());
        if (left >= 0) {
            LOG.info("a connection to the gRPC port failed: {}{}", reason(r),
                    left == 0 ? "" : " (" + left + " more since the last such line, not logged)");
        }
    }

    /** The failure in one line: the exception's type and its message up to its first sentence. */
    static String reason(LogRecord r) {
        Throwable t = r.getThrown();
        String text = t == null ? String.valueOf(r.getMessage())
                : t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage());
        int end = text.indexOf(". ");
        text = (end > 0 ? text.substring(0, end) : text).replaceAll("\\s+", " ").strip();
        return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON) + "...";
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
