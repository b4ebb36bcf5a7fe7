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

    /**
     * Whether {@code t} is a passing fault of the connection to the broker, after which the same idempotent step
     * may simply be tried again: the connection was lost or could not be made, a lookup failed, the broker was not
     * ready for the topic (it is loading it, or the topic is moving between brokers) or asked the client to slow
     * down. The client closes a whole connection on some errors of one producer, failing every request on it.
     */
    static boolean isTransient(Throwable t) {
        t = unwrap(t);
        if (t instanceof StreamingException && t.getCause() != null && t.getCause() != t) {
            t = unwrap(t.getCause());
        }
        return t instanceof PulsarClientException.ConnectException
                || t instanceof PulsarClientException.LookupException
                || t instanceof PulsarClientException.BrokerMetadataException
                || t instanceof PulsarClientException.ServiceNotReadyException
                || t instanceof PulsarClientException.TooManyRequestsException;
    }

    /**
     * Runs the idempotent {@code step} until it returns, a failure that is not {@linkplain #isTransient passing} or
     * {@code budgetMillis} have gone by (then its last failure is thrown). Backs off from 50 ms to 1 s between tries.
     */
    static <T> T retryingTransient(long budgetMillis, java.util.function.Supplier<T> step) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        long backoffMillis = 50;
        while (true) {
            try {
                return step.get();
            } catch (RuntimeException e) {
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (!isTransient(e) || leftMillis <= backoffMillis) {
                    throw e;
                }
            }
            try {
                Thread.sleep(backoffMillis); // a back-off before trying again, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw StreamingException.onShutdown("interrupted while waiting to try again");
            }
            backoffMillis = Math.min(1000, backoffMillis * 2);
        }
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
