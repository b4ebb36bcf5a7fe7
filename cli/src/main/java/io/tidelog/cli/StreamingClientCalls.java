package io.tidelog.cli;

import io.tidelog.common.StreamingException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Waiting for a client future in a command: its failure is thrown as the {@link StreamingException} it is. */
final class StreamingClientCalls {
    private StreamingClientCalls() {
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted; the outcome is unknown");
        }
    }
}
