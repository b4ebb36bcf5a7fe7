package io.tidelog.node.scan;

import io.tidelog.message.ImmutableMessage;
import java.time.Duration;

/**
 * Messages of one pchannel, filtered, in strictly increasing time-tick order, each delivered once.
 *
 * <p>Used by one thread at a time; {@link #close()} may be called from any thread and releases a
 * blocked {@link #poll}.
 */
public interface MessageScanner extends AutoCloseable {

    /**
     * The next message passing the filters, waiting up to {@code timeout}; null if none came.
     *
     * @throws io.tidelog.common.StreamingException {@code ON_SHUTDOWN} once closed (or the WAL closed);
     *         {@code DATA_CORRUPTED}, {@code OUT_OF_RANGE} from the backend
     */
    ImmutableMessage poll(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
