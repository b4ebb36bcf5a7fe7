package io.tidelog.query;

/**
 * The inner loops of exact vector search: plain loops over a contiguous row-major {@code float[]}, four
 * independent partial sums so that additions overlap in the CPU instead of waiting for each other (a single sum
 * is one long dependency chain, since the JIT may not reorder float additions).
 */
final class VectorKernels {
    private VectorKernels() {
    }

    /** {@code sum(a[aOff + i] * b[bOff + i])} for {@code i < dim}. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int dim) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < dim; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < dim; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code sum((v[off + i] - q[i])^2)} for {@code i < dim}. */
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

    /** The cosine similarity from a dot product and both squared norms; 0 when either vector is zero. */
    static float cosine(float dot, float squaredNormA, float squaredNormB) {
        if (squaredNormA == 0 || squaredNormB == 0) {
            return 0f;
        }
        return (float) (dot / Math.sqrt((double) squaredNormA * (double) squaredNormB));
    }
}
