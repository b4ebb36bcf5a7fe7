package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.api.PulsarClientException;

/** How the backend reads the Pulsar client's exceptions, and waits for its futures with a deadline. */
final class PulsarErrors {
    private PulsarErrors() {
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Whether the broker fenced this producer: a newer exclusive producer of the topic took it over. */
    static boolean isFenced(Throwable t) {
        return unwrap(t) instanceof PulsarClientException.ProducerFencedException;
    }

    /**
     * A failure of {@code what} as the backend reports it: a fence is {@code CHANNEL_FENCED}, a deadline
     * {@code TIMEOUT}, a closed client {@code ON_SHUTDOWN}; anything else {@code INNER}.
     */
    static StreamingException toStreaming(String what, Throwable t) {
        t = unwrap(t);
        if (t instanceof StreamingException) {
            return (StreamingException) t;
        }
        if (isFenced(t)) {
            return new StreamingException(ErrorCode.CHANNEL_FENCED, what + ": fenced by a newer exclusive producer"
                    + " at the broker (" + t.getMessage() + ")", t);
        }
        if (t instanceof PulsarClientException.TimeoutException || t instanceof TimeoutException) {
            return new StreamingException(ErrorCode.TIMEOUT, what + ": the broker did not answer in time (" + t + ")", t);
        }
        if (t instanceof PulsarClientException.AlreadyClosedException || t instanceof InterruptedException) {
            return new StreamingException(ErrorCode.ON_SHUTDOWN, what + ": closed (" + t.getMessage() + ")", t);
        }
        return StreamingException.inner(what + ": " + t, t);
    }

    /** Waits for {@code f} up to {@code timeoutMillis}; every failure as {@link #toStreaming}. */
    static <T> T await(CompletableFuture<T> f, long timeoutMillis, String what) {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw toStreaming("cannot " + what, e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new StreamingException(ErrorCode.TIMEOUT, "cannot " + what + ": no answer within " + timeoutMillis
                    + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while trying to " + what);
        }
    }
}
