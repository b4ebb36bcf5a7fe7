package io.tidelog.query;

/**
 * One result of a vector search.
 *
 * @param primaryKey the row's primary key
 * @param score      the {@link Metric}'s score (a distance for L2, a similarity otherwise)
 * @param segment    the caller's tag of the segment searched (see {@link VectorSearch#search}), so merged results
 *                   still say where each row lives
 * @param row        the row's number within that segment
 */
public record SearchHit(PrimaryKey primaryKey, float score, int segment, int row) {
}
