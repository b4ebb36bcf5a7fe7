package io.tidelog.client;

import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a query or search asks besides its subject. Immutable; start from {@link #defaults()}.
 *
 * @param filter       a boolean expression in Milvus's syntax; empty selects every row. Unicode text: one with an
 *                     unpaired surrogate is refused ({@code INVALID_ARGUMENT}), as UTF-8 cannot carry it
 * @param outputFields fields returned besides the primary key; {@code ["*"]} means every field
 * @param limit        at most this many rows (those of the smallest primary keys); 0: the node's maximum. Ignored
 *                     by search, whose top-k bounds it
 * @param consistency  how fresh the answer must be
 * @param timeout      the deadline of the whole call, waiting for freshness included
 */
public record QueryOptions(String filter, List<String> outputFields, long limit, Consistency consistency,
                           Duration timeout) {
    /** The deadline unless {@link #withTimeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public QueryOptions {
        Objects.requireNonNull(filter, "filter");
        int lone = Rows.unpairedSurrogate(filter);
        if (lone >= 0) {
            throw StreamingException.invalidArgument("the filter has an unpaired surrogate at index " + lone
                    + ": it is not Unicode text and cannot be sent (as UTF-8) unchanged");
        }
        outputFields = List.copyOf(outputFields);
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(timeout, "timeout");
        if (limit < 0) {
            throw StreamingException.invalidArgument("the limit must not be negative, got " + limit);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw StreamingException.invalidArgument("the timeout must be positive, got " + timeout);
        }
    }

    /** No filter, the primary key only, the node's maximum of rows, {@link Consistency#STRONG}, 30 s. */
    public static QueryOptions defaults() {
        return new QueryOptions("", List.of(), 0, Consistency.STRONG, DEFAULT_TIMEOUT);
    }

    public QueryOptions withFilter(String expression) {
        return new QueryOptions(expression, outputFields, limit, consistency, timeout);
    }

    public QueryOptions withOutputFields(List<String> fields) {
        return new QueryOptions(filter, fields, limit, consistency, timeout);
    }

    public QueryOptions withLimit(long rows) {
        return new QueryOptions(filter, outputFields, rows, consistency, timeout);
    }

    public QueryOptions withConsistency(Consistency level) {
        return new QueryOptions(filter, outputFields, limit, level, timeout);
    }

    public QueryOptions withTimeout(Duration deadline) {
        return new QueryOptions(filter, outputFields, limit, consistency, deadline);
    }
}
