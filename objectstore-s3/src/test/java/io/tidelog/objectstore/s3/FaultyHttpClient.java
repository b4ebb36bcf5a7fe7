package io.tidelog.objectstore.s3;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * A transport that records every request and breaks the next {@link #breakConditionalPuts} conditional puts
 * ({@code If-None-Match}) on purpose; every other request passes through. Each broken put fails with
 * an {@link IOException}, as a reset connection would, and the request
 * <ul>
 *   <li>{@link Fault#NEVER_SENT}: never reaches the server;</li>
 *   <li>{@link Fault#RESPONSE_LOST}: reaches it and is applied, but the response is lost;</li>
 *   <li>{@link Fault#DELAYED}: reaches it late, just before the next conditional put (a slow request
 *       that lands after the caller already looked).</li>
 * </ul>
 */
final class FaultyHttpClient implements SdkHttpClient {
    enum Fault { NEVER_SENT, RESPONSE_LOST, DELAYED }

    private final SdkHttpClient delegate = UrlConnectionHttpClient.create();
    private final List<SdkHttpRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger conditionalPuts = new AtomicInteger();
    private volatile Fault fault = Fault.NEVER_SENT;
    private volatile HttpExecuteRequest delayed;

    void breakConditionalPuts(Fault kind, int times) {
        fault = kind;
        remaining.set(times);
    }

    /** Conditional puts seen, broken or not. */
    int conditionalPuts() {
        return conditionalPuts.get();
    }

    /** Every request sent so far (headers and all, without bodies). */
    List<SdkHttpRequest> requests() {
        return requests;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        requests.add(request.httpRequest());
        if (request.httpRequest().firstMatchingHeader("If-None-Match").isEmpty()) {
            return delegate.prepareRequest(request);
        }
        conditionalPuts.incrementAndGet();
        HttpExecuteRequest late = delayed;
        delayed = null;
        if (remaining.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
            return late == null ? delegate.prepareRequest(request) : new Broken(() -> {
                deliver(late);
                return delegate.prepareRequest(request).call();
            });
        }
        Fault kind = fault;
        return new Broken(() -> {
            if (kind == Fault.RESPONSE_LOST) {
                deliver(request);
            } else if (kind == Fault.DELAYED) {
                delayed = request;
            }
            throw new IOException("injected: connection reset (" + kind + ")");
        });
    }

    private void deliver(HttpExecuteRequest request) throws IOException {
        HttpExecuteResponse r = delegate.prepareRequest(request).call();
        if (r.responseBody().isPresent()) {
            r.responseBody().get().close();
        }
    }

    private interface Call {
        HttpExecuteResponse call() throws IOException;
    }

    private static final class Broken implements ExecutableHttpRequest {
        private final Call call;

        Broken(Call call) {
            this.call = call;
        }

        @Override
        public HttpExecuteResponse call() throws IOException {
            return call.call();
        }

        @Override
        public void abort() {
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
