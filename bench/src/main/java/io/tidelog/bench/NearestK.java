package io.tidelog.bench;

import java.util.Arrays;

/**
 * The {@code k} rows nearest so far by a distance (smaller is nearer), ties broken by primary key ascending: the
 * order of Tidelog's L2 search, kept by the raw scan. A sorted array of at most {@code k} entries, nearest first; a
 * row that cannot enter costs one comparison with {@link #threshold()}, so a scan of many rows for a small {@code k}
 * spends its time on distances, not here.
 *
 * <p>Distances are compared as Java compares floats ({@code <}, {@code ==}), as the server does; NaN is refused.
 * Single-threaded; {@link #clear()} makes it reusable.
 */
final class NearestK {
    private final float[] distances;
    private final long[] keys;
    private int size;

    NearestK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        this.distances = new float[k];
        this.keys = new long[k];
    }

    /**
     * A distance above which no row can enter: {@link Float#POSITIVE_INFINITY} while fewer than {@code k} are kept,
     * else the farthest kept distance (a row exactly at it enters only with a smaller key than the farthest's).
     */
    float threshold() {
        return size < distances.length ? Float.POSITIVE_INFINITY : distances[size - 1];
    }

    /** Offers a row; returns whether it is now among the nearest {@code k}. */
    boolean offer(float distance, long key) {
        if (Float.isNaN(distance)) {
            throw new IllegalArgumentException("the distance of key " + key + " is NaN");
        }
        int k = distances.length;
        if (size == k) {
            if (!before(distance, key, distances[k - 1], keys[k - 1])) {
                return false;
            }
            size--; // the farthest goes
        }
        int i = size;
        while (i > 0 && before(distance, key, distances[i - 1], keys[i - 1])) {
            distances[i] = distances[i - 1];
            keys[i] = keys[i - 1];
            i--;
        }
        distances[i] = distance;
        keys[i] = key;
        size++;
        return true;
    }

    /** Whether (d, key) ranks before (e, other): nearer, or as near with a smaller key. */
    private static boolean before(float d, long key, float e, long other) {
        return d < e || (d == e && key < other);
    }

    int size() {
        return size;
    }

    /** The keys kept, nearest first. */
    long[] keys() {
        return Arrays.copyOf(keys, size);
    }

    /** The distances kept, nearest first (the same order as {@link #keys()}). */
    float[] distances() {
        return Arrays.copyOf(distances, size);
    }

    void clear() {
        size = 0;
    }
}
