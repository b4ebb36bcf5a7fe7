package io.tidelog.client;

import java.util.Map;

/**
 * One row a vector search found.
 *
 * @param row   the primary key and the output fields, as {@link Queries} says
 * @param score its distance (L2) or similarity (IP, COSINE) to the query vector
 */
public record SearchHit(Map<String, Object> row, float score) {
    public SearchHit {
        row = java.util.Collections.unmodifiableMap(row);
    }
}
