package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * Exact (brute-force) top-k vector search over a segment's rows, and the merge of per-segment results.
 *
 * <p>The order of results: by score, best first ({@link Metric}), ties broken by primary key ascending (INT64
 * numerically, VARCHAR by code point); so the answer is a function of the data alone, the same however rows are
 * spread over segments. The scan is one pass over the contiguous vector array: score a row (one tight loop,
 * {@link VectorKernels}), compare with the worst of a bounded heap of {@code k} rows, and only then touch the
 * heap. Stateless; thread-safe.
 */
public final class VectorSearch {
    /** The largest {@code topK} accepted (as Milvus). */
    public static final int MAX_TOP_K = 16384;

    private VectorSearch() {
    }

    /** {@link #search(SegmentView, String, float[], Metric, int, BitSet, int)} with segment tag 0. */
    public static List<SearchHit> search(SegmentView view, String field, float[] query, Metric metric, int topK,
                                         BitSet candidates) {
        return search(view, field, query, metric, topK, candidates, 0);
    }

    /**
     * The best {@code topK} rows of {@code view} among {@code candidates} (all rows when {@code null}), best
     * first; fewer when fewer rows are candidates.
     *
     * @param segment a tag of the caller's choosing, copied into every hit ({@link SearchHit#segment()})
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the field if it is not a FLOAT_VECTOR field of the
     *         view or the query's dimension is not the field's, or if the query holds a NaN or an infinity, or
     *         {@code topK} is not in [1, {@value #MAX_TOP_K}]
     */
    public static List<SearchHit> search(SegmentView view, String field, float[] query, Metric metric, int topK,
                                         BitSet candidates, int segment) {
        Column.FloatVectors vectors = vectors(view, field, query, topK);
        FieldSchema pkField = CollectionSchemas.primaryKey(view.schema());
        Column pk = view.column(pkField.getName());
        TopKHeap heap = new TopKHeap(topK, keyOrder(pk));
        int rows = view.rowCount();
        switch (metric) {
            case L2 -> scanL2(vectors, query, rows, candidates, heap);
            case IP -> scanIp(vectors, query, rows, candidates, heap);
            case COSINE -> scanCosine(vectors, query, rows, candidates, heap);
        }
        float[] keys = new float[topK];
        int[] found = new int[topK];
        int n = heap.drainBestFirst(keys, found);
        List<SearchHit> hits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float score = metric.higherIsBetter() ? -keys[i] : keys[i];
            hits.add(new SearchHit(key(pk, found[i]), score, segment, found[i]));
        }
        return hits;
    }

    /**
     * The best {@code topK} of several segments' results (each as {@link #search} returns it), best first, in the
     * same order as {@link #search}. A primary key is expected in at most one list (the caller's visibility
     * masks see to it); duplicates are kept.
     */
    public static List<SearchHit> merge(List<List<SearchHit>> perSegment, Metric metric, int topK) {
        if (topK < 1 || topK > MAX_TOP_K) {
            throw StreamingException.invalidArgument("topK must be in [1, " + MAX_TOP_K + "], got " + topK);
        }
        List<SearchHit> all = new ArrayList<>();
        perSegment.forEach(all::addAll);
        all.sort(order(metric));
        return List.copyOf(all.subList(0, Math.min(topK, all.size())));
    }

    /** The order of results: best score first, then primary key ascending. */
    public static Comparator<SearchHit> order(Metric metric) {
        return Comparator.<SearchHit>comparingDouble(h -> metric.rankKey(h.score()))
                .thenComparing(SearchHit::primaryKey);
    }

    private static Column.FloatVectors vectors(SegmentView view, String field, float[] query, int topK) {
        FieldSchema f = view.schema().getFieldsList().stream().filter(x -> x.getName().equals(field)).findFirst()
                .orElseThrow(() -> StreamingException.invalidArgument("field '" + field + "' is not in the schema"));
        if (f.getType() != DataType.FLOAT_VECTOR) {
            throw StreamingException.invalidArgument("field '" + field + "' is " + f.getType()
                    + ", not a FLOAT_VECTOR: it cannot be searched");
        }
        if (query.length != f.getDim()) {
            throw StreamingException.invalidArgument("field '" + field + "' has dimension " + f.getDim()
                    + ", the query vector " + query.length);
        }
        for (float x : query) {
            if (!Float.isFinite(x)) {
                throw StreamingException.invalidArgument("the query vector for field '" + field
                        + "' holds a NaN or an infinity");
            }
        }
        if (topK < 1 || topK > MAX_TOP_K) {
            throw StreamingException.invalidArgument("topK must be in [1, " + MAX_TOP_K + "], got " + topK);
        }
        return (Column.FloatVectors) view.column(field);
    }

    private static void scanL2(Column.FloatVectors v, float[] q, int rows, BitSet candidates, TopKHeap heap) {
        float[] data = v.values();
        int dim = v.dim();
        for (int r = first(candidates, rows); r >= 0; r = next(candidates, r, rows)) {
            float key = Metric.L2.rankKey(VectorKernels.squaredL2(data, r * dim, q, dim));
            if (!heap.isFull() || key <= heap.worstKey()) {
                heap.offer(key, r);
            }
        }
    }

    private static void scanIp(Column.FloatVectors v, float[] q, int rows, BitSet candidates, TopKHeap heap) {
        float[] data = v.values();
        int dim = v.dim();
        for (int r = first(candidates, rows); r >= 0; r = next(candidates, r, rows)) {
            float key = Metric.IP.rankKey(VectorKernels.dot(data, r * dim, q, 0, dim));
            if (!heap.isFull() || key <= heap.worstKey()) {
                heap.offer(key, r);
            }
        }
    }

    private static void scanCosine(Column.FloatVectors v, float[] q, int rows, BitSet candidates, TopKHeap heap) {
        float[] data = v.values();
        float[] norms = v.squaredNorms();
        int dim = v.dim();
        float queryNorm = VectorKernels.dot(q, 0, q, 0, dim);
        for (int r = first(candidates, rows); r >= 0; r = next(candidates, r, rows)) {
            float dot = VectorKernels.dot(data, r * dim, q, 0, dim);
            float key = Metric.COSINE.rankKey(VectorKernels.cosine(dot, norms[r], queryNorm));
            if (!heap.isFull() || key <= heap.worstKey()) {
                heap.offer(key, r);
            }
        }
    }

    private static int first(BitSet candidates, int rows) {
        if (candidates == null) {
            return rows > 0 ? 0 : -1;
        }
        int r = candidates.nextSetBit(0);
        return r < rows ? r : -1;
    }

    private static int next(BitSet candidates, int r, int rows) {
        int n = candidates == null ? r + 1 : candidates.nextSetBit(r + 1);
        return n >= 0 && n < rows ? n : -1;
    }

    private static TopKHeap.KeyOrder keyOrder(Column pk) {
        if (pk instanceof Column.Int64s longs) {
            long[] a = longs.values();
            return (x, y) -> Long.compare(a[x], a[y]);
        }
        String[] a = ((Column.Varchars) pk).values();
        return (x, y) -> Utf8Order.compare(a[x], a[y]);
    }

    private static PrimaryKey key(Column pk, int row) {
        return pk instanceof Column.Int64s longs ? new PrimaryKey.Int64(longs.values()[row])
                : new PrimaryKey.Varchar(((Column.Varchars) pk).values()[row]);
    }
}
