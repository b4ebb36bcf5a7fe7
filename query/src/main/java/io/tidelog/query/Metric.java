package io.tidelog.query;

/**
 * How vector search scores a row against the query vector {@code q}, and which scores are better.
 *
 * <ul>
 *   <li>{@link #L2}: the squared Euclidean distance {@code sum((v[i] - q[i])^2)}; smaller is better.</li>
 *   <li>{@link #IP}: the inner product {@code sum(v[i] * q[i])}; larger is better.</li>
 *   <li>{@link #COSINE}: the cosine similarity {@code v.q / (|v| |q|)}, in [-1, 1]; larger is better. When
 *       either vector is all zeros the similarity is undefined and scored 0 (orthogonal: neither similar nor
 *       opposite), so a zero vector neither wins nor fails a search.</li>
 * </ul>
 *
 * Scores are computed in {@code float}, with several partial sums (their order of addition is not the textbook
 * left-to-right one, so the last bits can differ from a naive loop). A score that overflows to NaN ranks last.
 */
public enum Metric {
    L2(false), IP(true), COSINE(true);

    private final boolean higherIsBetter;

    Metric(boolean higherIsBetter) {
        this.higherIsBetter = higherIsBetter;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** The score mapped so that smaller is better (and NaN is worst): what the top-k order sorts by. */
    float rankKey(float score) {
        if (Float.isNaN(score)) {
            return Float.POSITIVE_INFINITY;
        }
        return higherIsBetter ? -score : score;
    }
}
