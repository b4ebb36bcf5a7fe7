package io.tidelog.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's HTTP port: a few read-only endpoints ({@code GET} or {@code HEAD} of an exact path), each answering with a
 * {@link Reply} made on the request's thread. The JDK's {@link HttpServer} over a fixed pool of {@code http.threads}
 * daemon threads; requests beyond wait in its accept queue.
 *
 * <p>Endpoints are added with {@link #route} at any time, so other parts of the process (a status page) can join the
 * same port; a check in front of every endpoint (authentication) belongs in {@link #route}, the one place requests
 * enter. Thread-safe; {@link #close()} stops taking requests and ends the threads.
 */
final class HttpEndpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);
    static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService threads;
    private boolean closed;

    /** What an endpoint answers. */
    record Reply(int status, String contentType, byte[] body) {
        static Reply text(int status, String body) {
            return new Reply(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private HttpEndpoints(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /** Listens on {@code config}'s host and port; {@code INVALID_ARGUMENT} if it cannot bind (the port is taken). */
    static HttpEndpoints start(HttpConfig config) {
        HttpServer server;
        InetSocketAddress bind = new InetSocketAddress(config.host(), config.port());
        try {
            server = HttpServer.create(bind, 64);
        } catch (IOException e) {
            throw StreamingException.invalidArgument("cannot listen for HTTP on " + bind + " (" + HttpConfig.PORT
                    + "): " + e.getMessage());
        }
        ExecutorService threads = Executors.newFixedThreadPool(config.threads(), ServerExecutors.daemon("http"));
        server.setExecutor(threads);
        server.start();
        return new HttpEndpoints(server, threads);
    }

    /** The port it listens on (the one picked when {@code http.port} is 0). */
    int port() {
        return server.getAddress().getPort();
    }

    /** Answers {@code GET path} and {@code HEAD path} (that exact path) with what {@code endpoint} says. */
    void route(String path, Supplier<Reply> endpoint) {
        server.createContext(path, exchange -> {
            try (exchange) {
                answer(exchange, path, endpoint);
            } catch (IOException | RuntimeException e) {
                LOG.debug("HTTP {} failed: {}", path, e.toString());
            }
        });
    }

    private static void answer(HttpExchange exchange, String path, Supplier<Reply> endpoint) throws IOException {
        String method = exchange.getRequestMethod();
        Reply reply;
        if (!exchange.getRequestURI().getPath().equals(path)) {
            reply = Reply.text(404, "not found\n");
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            reply = Reply.text(405, "method not allowed\n");
        } else {
            reply = endpoint.get();
        }
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = method.equals("HEAD");
        exchange.sendResponseHeaders(reply.status(), head ? -1 : reply.body().length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply.body());
            }
        }
    }

    /** Stops taking requests, lets those in progress finish for up to a second, ends the threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // JDK 17's HttpServer.stop(n) waits the whole n seconds even when no exchange is in progress (measured):
        // wait only if one is, so that a process's close, and every test's, does not take a second more.
        ThreadPoolExecutor pool = (ThreadPoolExecutor) threads;
        server.stop(pool.getActiveCount() == 0 && pool.getQueue().isEmpty() ? 0 : 1);
        try {
            ServerExecutors.shutdown(threads);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
