package io.tidelog.bench;

import java.util.SplittableRandom;

/**
 * The vectors of {@code query}, a function of a seed: the rows of the searched collection, the query vectors and
 * the rows the ingest writes, each from its own stream of the seed so that changing one count leaves the others
 * as they were. Components are uniform in {@code [0, 1)} on a grid of {@code 2^-24}: exact floats, the same in
 * every JVM.
 */
final class SeededVectors {
    private static final float GRID = 1f / (1 << 24);
    private static final long ROWS = 0x726f_7773L;
    private static final long QUERIES = 0x7175_6572_7973L;
    private static final long INGEST = 0x696e_6765_7374L;

    private SeededVectors() {
    }

    /** {@code rows x dim} components, row-major: the searched collection's rows, row {@code i} of key {@code i}. */
    static float[] rows(long seed, int rows, int dim) {
        return fill(new SplittableRandom(seed ^ ROWS), Math.multiplyExact(rows, dim));
    }

    /** {@code count} query vectors of {@code dim} components. */
    static float[][] queries(long seed, int count, int dim) {
        SplittableRandom random = new SplittableRandom(seed ^ QUERIES);
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = fill(random, dim);
        }
        return out;
    }

    /** A stream for the rows the ingest writes while reads run. */
    static SplittableRandom ingest(long seed) {
        return new SplittableRandom(seed ^ INGEST);
    }

    /** {@code n} components from {@code random}. */
    static float[] fill(SplittableRandom random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextInt(1 << 24) * GRID;
        }
        return out;
    }
}
