package io.tidelog.server;

import io.tidelog.server.HttpEndpoints.Reply;
import io.tidelog.server.HttpEndpoints.Request;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may read the HTTP port: with a token file ({@code security.tokens.file}, read again on change by the process's
 * one {@link ReloadingTokens}) every route but the open ones ({@code /healthz}, {@code /readyz}) needs a token of role
 * {@code read} or above; without one everything is open.
 *
 * <p>A token is given as {@code Authorization: Bearer TOKEN}, or by a browser in the cookie {@value #COOKIE}: a
 * {@link Access#PAGE} route given {@code ?token=TOKEN} of a known token answers {@code 303} to itself without the
 * query, setting that cookie ({@code HttpOnly}, {@code SameSite=Strict}, {@code Secure} under TLS, for the browser's
 * session), so the token leaves the address bar and history at once and scripts of the page never see it. The cookie
 * holds the token itself (base64url): it is checked on every request like a header, so a token removed from the file
 * stops working in the browser too. {@code http.metrics.key}, when set, opens {@link Access#METRICS} routes alone
 * (a Prometheus server's {@code authorization} credentials) and nothing else.
 *
 * <p>Refusals: no token, a malformed or unknown one: {@code 401} with {@code WWW-Authenticate: Bearer} (on a
 * {@link Access#PAGE} route with a small form asking for the token); a known credential the route does not take (the
 * metrics key elsewhere, a role below {@code read}): {@code 403}. Logged at most once a second, by the caller's
 * name when known, never the token. Thread-safe.
 */
final class HttpAccess {
    private static final Logger LOG = LoggerFactory.getLogger(HttpAccess.class);
    /** The cookie a browser keeps its token in. */
    static final String COOKIE = "tidelog_token";
    private static final String BEARER = "Bearer ";
    /** Where a login may send the browser back to: a path of this port, never {@code //host} (another site). */
    private static final Pattern SAFE_PATH = Pattern.compile("/(?!/)[A-Za-z0-9/_.-]*");

    /** What a route needs. */
    enum Access {
        /** Anyone: liveness and readiness. */
        OPEN,
        /** A token of role {@code read} or above. */
        READ,
        /** As {@link #READ}, and a browser may give the token once as {@code ?token=}: the status page. */
        PAGE,
        /** As {@link #READ}, or {@code http.metrics.key}: {@code /metrics}. */
        METRICS
    }

    private final ReloadingTokens tokens;
    private final byte[] metricsKeyDigest;
    private final boolean secureCookie;
    private final LogRateLimit refusals = new LogRateLimit(Duration.ofSeconds(1));

    /**
     * @param tokens       the process's tokens, or null: everything open
     * @param metricsKey   {@code http.metrics.key}, or null
     * @param secureCookie whether the port speaks TLS (the cookie is then {@code Secure})
     */
    HttpAccess(ReloadingTokens tokens, String metricsKey, boolean secureCookie) {
        this.tokens = tokens;
        this.metricsKeyDigest = metricsKey == null ? null : digest(metricsKey);
        this.secureCookie = secureCookie;
    }

    /** Everything open: a process without a token file. */
    static HttpAccess open() {
        return new HttpAccess(null, null, false);
    }

    /** The refusal of {@code request} to a route that needs {@code needed}, or empty if it may go on. */
    Optional<Reply> check(Request request, Access needed, InetSocketAddress from) {
        if (tokens == null || needed == Access.OPEN) {
            return Optional.empty();
        }
        String queryToken = needed == Access.PAGE ? request.query().get("token") : null;
        if (queryToken != null) {
            return Optional.of(login(request, queryToken, from));
        }
        Optional<String> token = presented(request);
        if (token.isEmpty()) {
            return Optional.of(unauthenticated(needed, "no token", "a request without a token", request, from));
        }
        if (metricsKeyDigest != null && MessageDigest.isEqual(digest(token.get()), metricsKeyDigest)) {
            return needed == Access.METRICS ? Optional.empty()
                    : Optional.of(forbidden("the metrics key opens /metrics only\n", "the metrics key", request, from));
        }
        Optional<TokenFile.Caller> caller = tokens.caller(token.get());
        if (caller.isEmpty()) {
            return Optional.of(unauthenticated(needed, "unknown token: the server's token file does not list it",
                    "a request with an unknown token", request, from));
        }
        TokenFile.Caller c = caller.get();
        if (!c.role().allows(Role.READ)) {
            return Optional.of(forbidden("needs a read token; " + c.name() + "'s role is " + c.role().label() + "\n",
                    c.name(), request, from));
        }
        return Optional.empty();
    }

    /** The token of {@code Authorization: Bearer}, else of the cookie. */
    private static Optional<String> presented(Request request) {
        Optional<String> header = request.header("Authorization");
        if (header.isPresent()) {
            String h = header.get();
            return h.regionMatches(true, 0, BEARER, 0, BEARER.length())
                    ? Optional.of(h.substring(BEARER.length()).trim()) : Optional.empty();
        }
        return request.cookie(COOKIE).flatMap(HttpAccess::decodeCookie);
    }

    private static Optional<String> decodeCookie(String value) {
        try {
            return Optional.of(new String(Base64.getUrlDecoder().decode(value), StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code ?token=}: a known token of role read or above is kept in the cookie, and the page loaded without it. */
    private Reply login(Request request, String token, InetSocketAddress from) {
        Optional<TokenFile.Caller> caller = tokens.caller(token);
        if (caller.isEmpty() || !caller.get().role().allows(Role.READ)) {
            return unauthenticated(Access.PAGE, "unknown token: the server's token file does not list it",
                    "a login with an unknown token", request, from);
        }
        String cookie = COOKIE + "=" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(token.getBytes(StandardCharsets.US_ASCII))
                + "; Path=/; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : "");
        String back = SAFE_PATH.matcher(request.path()).matches() ? request.path() : "/";
        return Reply.text(303, "see " + back + "\n").with("Location", back).with("Set-Cookie", cookie);
    }

    private Reply unauthenticated(Access needed, String why, String who, Request request, InetSocketAddress from) {
        log(who, request, from, 401);
        Reply r = needed == Access.PAGE ? loginForm(why) : Reply.text(401, why + "\n");
        return r.with("WWW-Authenticate", "Bearer realm=\"tidelog\"");
    }

    private Reply forbidden(String why, String who, Request request, InetSocketAddress from) {
        log(who, request, from, 403);
        return Reply.text(403, why);
    }

    private void log(String who, Request request, InetSocketAddress from, int status) {
        long leftOut = refusals.admit(System.nanoTime());
        if (leftOut >= 0) {
            LOG.warn("HTTP: refused {} from {} to {}: {}{}", who, from, request.path(), status,
                    leftOut > 0 ? " (and " + leftOut + " refusals not logged since the last line)" : "");
        }
    }

    /** A 401 a browser shows: a form that gives the token once, as {@code ?token=} (then kept in the cookie). */
    private static Reply loginForm(String why) {
        String html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tidelog: token needed</title></head>"
                + "<body style=\"font-family: sans-serif\"><h1>Tidelog</h1><p>A token of role read or above is needed ("
                + escape(why) + ").</p><form method=\"get\"><input type=\"password\" name=\"token\" autocomplete="
                + "\"current-password\" placeholder=\"token\" autofocus> <button type=\"submit\">Open</button></form>"
                + "</body></html>";
        return new Reply(401, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
