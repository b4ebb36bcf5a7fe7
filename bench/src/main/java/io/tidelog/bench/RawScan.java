package io.tidelog.bench;

/**
 * The baseline of {@code query}: exact L2 top-k computed in the bench JVM by one pass over a plain row-major
 * {@code float[]} ({@code rows x dim}, row {@code i} has primary key {@code i}), a bounded top-k ({@link NearestK})
 * beside it. What a search over the same data cannot beat by much, whatever it is built of.
 *
 * <p>The distance is the squared Euclidean distance summed in four partial sums over the dimensions {@code i mod 4},
 * then {@code (s0 + s1) + (s2 + s3)}: a plain loop a programmer would write for speed (one running sum is a chain
 * of dependent additions), and the order the server sums in, so that both compute bit-identical floats (Java's float
 * arithmetic is strict) and their top-k can be compared id for id, ties included.
 *
 * <p>Immutable after construction; {@link #nearest} may run on any thread (it allocates its own top-k).
 */
final class RawScan {
    private final float[] vectors;
    private final int dim;
    private final int rows;

    /** Scans {@code vectors} as rows of {@code dim} floats; it is not copied and must not change. */
    RawScan(float[] vectors, int dim) {
        if (dim < 1 || vectors.length % dim != 0) {
            throw new IllegalArgumentException("need whole rows of dimension " + dim + ", got " + vectors.length
                    + " floats");
        }
        this.vectors = vectors;
        this.dim = dim;
        this.rows = vectors.length / dim;
    }

    int rows() {
        return rows;
    }

    int dim() {
        return dim;
    }

    /** The {@code k} rows nearest to {@code query}, nearest first, ties by primary key ascending. */
    NearestK nearest(float[] query, int k) {
        if (query.length != dim) {
            throw new IllegalArgumentException("the query has dimension " + query.length + ", the rows " + dim);
        }
        NearestK top = new NearestK(k);
        float threshold = top.threshold();
        for (int r = 0, off = 0; r < rows; r++, off += dim) {
            float d = squaredL2(vectors, off, query, dim);
            if (d <= threshold) {
                top.offer(d, r);
                threshold = top.threshold();
            }
        }
        return top;
    }

    /** {@code sum((v[off + i] - q[i])^2)} for {@code i < dim}, summed as the class comment says. */
    static float squaredL2(float[] v, int off, float[] q, int dim) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < dim; i += 4) {
            float d0 = v[off + i] - q[i];
            float d1 = v[off + i + 1] - q[i + 1];
            float d2 = v[off + i + 2] - q[i + 2];
            float d3 = v[off + i + 3] - q[i + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < dim; i++) {
            float d = v[off + i] - q[i];
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }
}
