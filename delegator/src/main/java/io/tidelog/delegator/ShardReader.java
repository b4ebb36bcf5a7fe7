package io.tidelog.delegator;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardSearchRequest;
import io.tidelog.proto.ShardSearchResponse;
import io.tidelog.query.Column;
import io.tidelog.query.Filter;
import io.tidelog.query.Metric;
import io.tidelog.query.PrimaryKey;
import io.tidelog.query.SearchHit;
import io.tidelog.query.SegmentView;
import io.tidelog.query.VectorSearch;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Answers a query of one vchannel at one time tick over snapshots of its segments: the rows visible then (inserted
 * at or before it and not deleted at or before it), those of the requested keys if any, that the filter selects,
 * by primary key ascending (rows of one key in log order), at most the limit. Stateless; any thread.
 */
final class ShardReader {
    private ShardReader() {
    }

    /**
     * A segment as of the query: its rows, whether they were read from its file, and when its rows were deleted.
     *
     * @param index finds the rows of a key
     */
    record Source(SegmentView view, boolean sealed, ShardSegment index, RowDeletes deletes) {
    }

    private record Hit(PrimaryKey key, int source, int row) {
    }

    private static final Comparator<Hit> ORDER = Comparator.comparing(Hit::key).thenComparingInt(Hit::source)
            .thenComparingInt(Hit::row);

    /**
     * @param maxRows the most rows an answer may hold ({@code query.max.rows})
     * @throws StreamingException {@code INVALID_ARGUMENT} for a bad filter, output field or limit, or when more than
     *         {@code maxRows} rows match and no limit was given
     */
    static ShardQueryResponse query(ShardQueryRequest request, CollectionSchema schema, List<Source> sources,
                                    long readTimeTick, int maxRows) {
        long limit = request.getLimit();
        if (limit < 0 || limit > maxRows) {
            throw StreamingException.invalidArgument("limit " + limit + " is not within [0, " + maxRows
                    + "] (query.max.rows; 0 means the maximum)");
        }
        Filter filter = request.getRead().getFilter().isBlank() ? null : Filter.parse(request.getRead().getFilter(), schema);
        List<FieldSchema> fields = OutputColumns.fields(schema, request.getRead().getOutputFieldsList());
        Set<Object> keys = keys(request);
        String pk = CollectionSchemas.primaryKey(schema).getName();
        List<BitSet> selectedBySource = new ArrayList<>(sources.size());
        long matches = 0;
        for (Source src : sources) {
            BitSet selected = visible(src, readTimeTick, keys);
            if (filter != null && !selected.isEmpty()) {
                selected = filter.select(src.view(), 0, src.view().rowsInsertedAtOrBefore(readTimeTick), selected);
            }
            selectedBySource.add(selected);
            matches += selected.cardinality();
        }
        if (limit == 0 && matches > maxRows) {
            throw StreamingException.invalidArgument(matches + " rows match, more than an answer holds ("
                    + maxRows + ", query.max.rows): give a limit or a narrower filter");
        }
        // The smallest `keep` keys: a bounded heap whose head is the largest kept, so that a broad filter with a
        // small limit holds `keep` entries, not one per match.
        int keep = (int) (limit > 0 ? limit : maxRows);
        PriorityQueue<Hit> smallest = new PriorityQueue<>(Math.min(keep, (int) Math.min(matches, 1 << 16)) + 1,
                ORDER.reversed());
        for (int s = 0; s < sources.size(); s++) {
            Column keyColumn = sources.get(s).view().column(pk);
            BitSet selected = selectedBySource.get(s);
            for (int r = selected.nextSetBit(0); r >= 0; r = selected.nextSetBit(r + 1)) {
                Hit h = new Hit(keyOf(keyColumn, r), s, r);
                if (smallest.size() < keep) {
                    smallest.add(h);
                } else if (ORDER.compare(h, smallest.peek()) < 0) {
                    smallest.poll();
                    smallest.add(h);
                }
            }
        }
        List<Hit> kept = new ArrayList<>(smallest);
        kept.sort(ORDER);
        List<OutputColumns.Row> rows = new ArrayList<>(kept.size());
        for (Hit h : kept) {
            rows.add(new OutputColumns.Row(sources.get(h.source()).view(), h.row()));
        }
        int sealed = (int) sources.stream().filter(Source::sealed).count();
        ShardQueryResponse.Builder out = ShardQueryResponse.newBuilder().setNumRows(rows.size())
                .setReadTimeTick(readTimeTick).setSealedSegments(sealed).setGrowingSegments(sources.size() - sealed);
        for (FieldSchema f : fields) {
            out.addColumns(OutputColumns.column(f, rows));
        }
        return out.build();
    }

    /**
     * The {@code top_k} rows nearest to the request's vector among those visible at {@code readTimeTick} that the
     * filter selects, best first, ties by primary key.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a bad filter, output field, field, vector or top-k
     */
    static ShardSearchResponse search(ShardSearchRequest request, CollectionSchema schema, List<Source> sources,
                                      long readTimeTick, int maxTopK) {
        int topK = request.getTopK();
        if (topK < 1 || topK > maxTopK) {
            throw StreamingException.invalidArgument("top-k " + topK + " is not within [1, " + maxTopK
                    + "] (query.max.topk)");
        }
        Metric metric = switch (request.getMetric()) {
            case L2 -> Metric.L2;
            case IP -> Metric.IP;
            case COSINE -> Metric.COSINE;
            default -> throw StreamingException.invalidArgument("a search needs a metric: L2, IP or COSINE");
        };
        Filter filter = request.getRead().getFilter().isBlank() ? null : Filter.parse(request.getRead().getFilter(), schema);
        List<FieldSchema> fields = OutputColumns.fields(schema, request.getRead().getOutputFieldsList());
        float[] vector = new float[request.getVectorCount()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = request.getVector(i);
        }
        checkVectorField(schema, request.getField(), vector.length);
        String pk = CollectionSchemas.primaryKey(schema).getName();
        List<List<SearchHit>> perSource = new ArrayList<>();
        for (int s = 0; s < sources.size(); s++) {
            Source src = sources.get(s);
            BitSet candidates = visible(src, readTimeTick, null);
            if (filter != null && !candidates.isEmpty()) {
                candidates = filter.select(src.view(), 0, src.view().rowsInsertedAtOrBefore(readTimeTick), candidates);
            }
            if (!candidates.isEmpty()) {
                perSource.add(VectorSearch.search(src.view(), request.getField(), vector, metric, topK, candidates, s));
            }
        }
        List<SearchHit> best = perSource.isEmpty() ? List.of() : VectorSearch.merge(perSource, metric, topK);
        List<OutputColumns.Row> rows = new ArrayList<>(best.size());
        ShardSearchResponse.Builder out = ShardSearchResponse.newBuilder().setNumRows(best.size())
                .setReadTimeTick(readTimeTick);
        for (SearchHit h : best) {
            rows.add(new OutputColumns.Row(sources.get(h.segment()).view(), h.row()));
            out.addScores(h.score());
        }
        for (FieldSchema f : fields) {
            out.addColumns(OutputColumns.column(f, rows));
        }
        return out.build();
    }

    /** Checked against the collection's schema, so that a vchannel without rows refuses what one with rows would. */
    private static void checkVectorField(CollectionSchema schema, String field, int dim) {
        FieldSchema f = schema.getFieldsList().stream().filter(x -> x.getName().equals(field)).findFirst()
                .orElseThrow(() -> StreamingException.invalidArgument("field '" + field
                        + "' is not a field of the collection"));
        if (f.getType() != DataType.FLOAT_VECTOR) {
            throw StreamingException.invalidArgument("field '" + field + "' is " + f.getType()
                    + ", not a FLOAT_VECTOR: it cannot be searched");
        }
        if (dim != f.getDim()) {
            throw StreamingException.invalidArgument("field '" + field + "' has dimension " + f.getDim()
                    + "; the query vector has " + dim);
        }
    }

    /** The rows of {@code src} visible at {@code timeTick}, and with one of {@code keys} if that is not null. */
    static BitSet visible(Source src, long timeTick, Set<Object> keys) {
        int n = src.view().rowsInsertedAtOrBefore(timeTick);
        BitSet out = new BitSet(n);
        if (keys != null) {
            for (Object k : keys) {
                for (int r : src.index().rowsOf(k, n)) {
                    if (src.deletes().at(r) > timeTick) {
                        out.set(r);
                    }
                }
            }
            return out;
        }
        out.set(0, n);
        src.deletes().hide(out, n, timeTick);
        return out;
    }

    private static Set<Object> keys(ShardQueryRequest request) {
        return switch (request.getPksCase()) {
            case INT_PKS -> new HashSet<>(request.getIntPks().getValuesList());
            case STRING_PKS -> new HashSet<>(request.getStringPks().getValuesList());
            default -> null;
        };
    }

    static PrimaryKey keyOf(Column keys, int row) {
        return keys instanceof Column.Int64s ints ? new PrimaryKey.Int64(ints.values()[row])
                : new PrimaryKey.Varchar(((Column.Varchars) keys).values()[row]);
    }
}
