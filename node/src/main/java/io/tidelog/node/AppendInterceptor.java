package io.tidelog.node;

import io.tidelog.message.MutableMessage;
import java.util.concurrent.CompletableFuture;

/**
 * One link of the append chain of a {@link StreamingWal}: it may check, rewrite, hold or reject a
 * message before passing it on, and observe the result. Interceptors run on the appender's thread
 * and must not block; the last link assigns the time tick and writes to the backend.
 */
@FunctionalInterface
public interface AppendInterceptor {

    /** The rest of the chain. */
    @FunctionalInterface
    interface Next {
        CompletableFuture<AppendResult> append(MutableMessage message);
    }

    CompletableFuture<AppendResult> append(MutableMessage message, Next next);
}
