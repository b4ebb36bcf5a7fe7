package io.tidelog.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's HTTP port: a few read-only endpoints ({@code GET} or {@code HEAD} of an exact path), each answering with
 * a {@link Reply} made on the request's thread. The JDK's {@link HttpServer} (an {@link HttpsServer} when the process
 * has a certificate: {@link HttpTls}) over a fixed pool of {@code http.threads} daemon threads; requests beyond wait in
 * its accept queue.
 *
 * <p>Endpoints are added with {@link #route} at any time, so other parts of the process (the status page) can join the
 * same port. {@link #route} is the one place requests enter: each route names the {@link HttpAccess.Access} it needs,
 * and a request the {@link HttpAccess} refuses is answered with its refusal (401, 403) before the endpoint runs, so
 * nothing of it is answered. Thread-safe; {@link #close()} stops taking requests and ends the threads.
 */
final class HttpEndpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);
    static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService threads;
    private final HttpAccess access;
    private final boolean https;
    private boolean closed;

    /** What an endpoint answers: a status, a body and its type, and headers beyond those every reply gets. */
    record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }

        static Reply text(int status, String body) {
            return new Reply(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
        }

        /** This reply with header {@code name} set to {@code value} too. */
        Reply with(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, contentType, body, Map.copyOf(h));
        }
    }

    /** What an endpoint is asked: the path, the query's parameters (decoded; a repeated one's first) and headers. */
    record Request(String path, Map<String, String> query, Headers headers) {
        /** The first value of header {@code name} (any case), if given. */
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.getFirst(name));
        }

        /** The value of cookie {@code name} from the {@code Cookie} headers, if given. */
        Optional<String> cookie(String name) {
            for (String line : headers.getOrDefault("Cookie", List.of())) {
                for (String pair : line.split(";")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                        return Optional.of(pair.substring(eq + 1).trim());
                    }
                }
            }
            return Optional.empty();
        }

        static Map<String, String> parseQuery(String raw) {
            Map<String, String> q = new HashMap<>();
            if (raw == null || raw.isEmpty()) {
                return q;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                try {
                    q.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8),
                            URLDecoder.decode(v, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // a malformed escape: the parameter is left out
                }
            }
            return q;
        }
    }

    /** An endpoint: answers a request on the request's thread. */
    interface Endpoint {
        Reply answer(Request request);
    }

    private HttpEndpoints(HttpServer server, ExecutorService threads, HttpAccess access, boolean https) {
        this.server = server;
        this.threads = threads;
        this.access = access;
        this.https = https;
    }

    /**
     * Listens on {@code config}'s host and port, speaking TLS when {@code tls} is given, each request checked by
     * {@code access}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if it cannot bind (the port is taken)
     */
    static HttpEndpoints start(HttpConfig config, HttpAccess access, Optional<HttpTls> tls) {
        HttpServer server;
        InetSocketAddress bind = new InetSocketAddress(config.host(), config.port());
        try {
            if (tls.isPresent()) {
                HttpsServer s = HttpsServer.create(bind, 64);
                s.setHttpsConfigurator(configurator(tls.get()));
                server = s;
            } else {
                server = HttpServer.create(bind, 64);
            }
        } catch (IOException e) {
            throw StreamingException.invalidArgument("cannot listen for HTTP on " + bind + " (" + HttpConfig.PORT
                    + "): " + e.getMessage());
        }
        ExecutorService threads = Executors.newFixedThreadPool(config.threads(), ServerExecutors.daemon("http"));
        server.setExecutor(threads);
        server.start();
        return new HttpEndpoints(server, threads, access, tls.isPresent());
    }

    private static HttpsConfigurator configurator(HttpTls tls) {
        SSLContext context = tls.context();
        return new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setNeedClientAuth(tls.clientAuth() == SecurityConfig.ClientAuth.REQUIRE);
                if (tls.clientAuth() == SecurityConfig.ClientAuth.OPTIONAL) {
                    p.setWantClientAuth(true);
                }
                params.setSSLParameters(p);
            }
        };
    }

    /** The port it listens on (the one picked when {@code http.port} is 0). */
    int port() {
        return server.getAddress().getPort();
    }

    /** {@code https} or {@code http}. */
    String scheme() {
        return https ? "https" : "http";
    }

    /**
     * Answers {@code GET path} and {@code HEAD path} (that exact path) with what {@code endpoint} says, to requests
     * {@link HttpAccess} lets through for {@code needed}.
     */
    void route(String path, HttpAccess.Access needed, Endpoint endpoint) {
        server.createContext(path, exchange -> {
            try (exchange) {
                answer(exchange, path, needed, endpoint);
            } catch (IOException | RuntimeException e) {
                LOG.debug("HTTP {} failed: {}", path, e.toString());
            }
        });
    }

    private void answer(HttpExchange exchange, String path, HttpAccess.Access needed, Endpoint endpoint)
            throws IOException {
        String method = exchange.getRequestMethod();
        Request request = new Request(exchange.getRequestURI().getPath(),
                Request.parseQuery(exchange.getRequestURI().getRawQuery()), exchange.getRequestHeaders());
        Reply reply;
        Optional<Reply> refused = access.check(request, needed, exchange.getRemoteAddress());
        if (refused.isPresent()) {
            reply = refused.get();
        } else if (!request.path().equals(path)) {
            reply = Reply.text(404, "not found\n");
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
            reply = Reply.text(405, "method not allowed\n").with("Allow", "GET, HEAD");
        } else {
            reply = endpoint.answer(request);
        }
        Headers h = exchange.getResponseHeaders();
        h.set("Content-Type", reply.contentType());
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        reply.headers().forEach(h::set);
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
