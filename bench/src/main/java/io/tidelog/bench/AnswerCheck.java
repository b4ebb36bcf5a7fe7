package io.tidelog.bench;

import io.tidelog.client.SearchHit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The correctness check of {@code query}'s searches: the expected top-k of each query vector (the raw scan's keys
 * and distances, nearest first, ties by key ascending) against each answer, the server's id for id, the raw scan's
 * again (it must be deterministic). A wrong answer fails the run with what was expected and what came. Immutable.
 */
final class AnswerCheck {
    private final long[][] keys;
    private final float[][] distances;

    /** {@code keys[i]} and {@code distances[i]}: the expected answer of query vector {@code i}. */
    AnswerCheck(long[][] keys, float[][] distances) {
        this.keys = keys;
        this.distances = distances;
    }

    /**
     * Checks the server's answer for query vector {@code query}.
     *
     * @param when where in the run it came, for the message
     * @throws IllegalStateException naming the query, both answers and their scores, if the keys differ
     */
    void check(int query, List<SearchHit> hits, String when) {
        long[] got = new long[hits.size()];
        float[] scores = new float[hits.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = ((Number) hits.get(i).row().get(SearchedCollection.KEY)).longValue();
            scores[i] = hits.get(i).score();
        }
        if (!Arrays.equals(got, keys[query])) {
            throw new IllegalStateException(String.format(Locale.ROOT, "WRONG ANSWER (%s): the server's top-%d for"
                    + " query vector %d is %s, the raw scan's is %s", when, keys[query].length, query,
                    describe(got, scores), describe(keys[query], distances[query])));
        }
    }

    /** Checks a raw scan's answer for query vector {@code query}; see {@link #check}. */
    void checkRaw(int query, NearestK answer) {
        if (!Arrays.equals(answer.keys(), keys[query])) {
            throw new IllegalStateException("the raw scan answered query vector " + query + " with "
                    + describe(answer.keys(), answer.distances()) + " after "
                    + describe(keys[query], distances[query]) + ": it is not deterministic");
        }
    }

    /** {@code [key (distance), ...]}. */
    static String describe(long[] keys, float[] distances) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < keys.length; i++) {
            b.append(i == 0 ? "" : ", ").append(keys[i]).append(" (").append(distances[i]).append(')');
        }
        return b.append(']').toString();
    }
}
