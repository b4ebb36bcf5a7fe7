package io.tidelog.client;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.RowBatch;
import io.tidelog.message.Rows;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardRead;
import io.tidelog.proto.ShardSearchRequest;
import io.tidelog.proto.ShardSearchResponse;
import io.tidelog.proto.StringArray;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Queries on a collection's data, fresh as the chosen {@link Consistency} asks: the client asks the delegator of
 * every vchannel of the collection (on the node that owns its pchannel or, when that one fails or cannot be
 * reached, on a replica the coordinator placed: {@link ReplicaCalls}; waiting and retrying within the deadline)
 * and merges their answers, as a proxy would. Obtained from {@link StreamingClient#queries()};
 * as thread-safe as the client.
 *
 * <p><b>Answers.</b> A row is a map from field name to value as {@link Rows} reads them back (the primary key and
 * the output fields; a null field maps to {@code null}; vectors are lists of {@link Float}; JSON is its parsed
 * value). Query rows come in primary key order (INT64 numerically, VARCHAR by code point) and a limit keeps the
 * smallest keys; search hits come best first, ties by primary key.
 *
 * <p><b>Errors.</b> Futures fail with {@code INVALID_ARGUMENT} (a bad filter, naming the field and the position;
 * an unknown output field; a vector of the wrong dimension), {@code NOT_FOUND} (no such collection) and
 * {@code TIMEOUT} (the data did not become fresh enough, or no node answered, within the deadline).
 */
public final class Queries {
    private final ClientContext ctx;
    private final Collections collections;
    private final SessionTimeTicks session;
    /** Descriptions by collection name, shared by the client's {@code Queries}; see {@link #described}. */
    private final Map<String, CollectionDescription> descriptions;
    private static final int MAX_DESCRIPTIONS = 10_000;

    Queries(ClientContext ctx, Collections collections, SessionTimeTicks session,
            Map<String, CollectionDescription> descriptions) {
        this.ctx = ctx;
        this.collections = collections;
        this.session = session;
        this.descriptions = descriptions;
    }

    /** The rows of {@code collection} that match {@code options.filter()}. */
    public CompletableFuture<List<Map<String, Object>>> query(String collection, QueryOptions options) {
        return described(collection, c -> query(c, null, options));
    }

    /** The rows of {@code collection} with the given primary keys ({@link Long}s or {@link String}s). */
    public CompletableFuture<List<Map<String, Object>>> get(String collection, List<?> primaryKeys,
                                                            QueryOptions options) {
        Objects.requireNonNull(primaryKeys, "primaryKeys");
        return described(collection, c -> query(c, primaryKeys, options));
    }

    /**
     * The {@code topK} rows of {@code collection} nearest to {@code vector} in the FLOAT_VECTOR field {@code field}
     * by {@code metric}, among those that match {@code options.filter()}; exact (every row is scored).
     */
    public CompletableFuture<List<SearchHit>> search(String collection, String field, float[] vector, int topK,
                                                     Metric metric, QueryOptions options) {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(metric, "metric");
        if (topK < 1) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("top-k must be at least 1, got "
                    + topK));
        }
        return described(collection, c -> {
            List<CompletableFuture<ShardSearchResponse>> parts = new ArrayList<>();
            for (String v : c.vchannels()) {
                ShardSearchRequest.Builder r = ShardSearchRequest.newBuilder().setRead(read(c, v, options))
                        .setField(field).setTopK(topK).setMetric(metric.toProto());
                for (float x : vector) {
                    r.addVector(x);
                }
                ShardSearchRequest request = r.build();
                parts.add(ReplicaCalls.call(ctx, v, options.timeout(), QueryServiceGrpc::newStub,
                        (stub, out) -> stub.search(request, out)));
            }
            return allOf(parts).thenApply(rs -> mergeHits(c, rs, topK, metric));
        });
    }

    /**
     * Runs {@code call} on the collection's description, remembered from an earlier call of this client (a collection's
     * id, shards and key never change; its filters are checked by the nodes against the schema they have). A
     * {@code NOT_FOUND} from a node means the name may now be another collection (dropped and created again): the
     * description is asked again and the call made once more.
     */
    private <T> CompletableFuture<T> described(String collection,
                                               java.util.function.Function<CollectionDescription, CompletableFuture<T>> call) {
        CollectionDescription known = descriptions.get(collection);
        if (known == null) {
            return fresh(collection, call);
        }
        return call.apply(known).handle((r, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(r);
            }
            if (StreamingException.from(e).code() == io.tidelog.common.ErrorCode.NOT_FOUND) {
                descriptions.remove(collection, known);
                return fresh(collection, call);
            }
            return CompletableFuture.<T>failedFuture(StreamingException.from(e));
        }).thenCompose(f -> f);
    }

    private <T> CompletableFuture<T> fresh(String collection,
                                           java.util.function.Function<CollectionDescription, CompletableFuture<T>> call) {
        return collections.describe(collection).thenCompose(c -> {
            if (descriptions.size() < MAX_DESCRIPTIONS) {
                descriptions.put(collection, c);
            }
            return call.apply(c);
        });
    }

    private CompletableFuture<List<Map<String, Object>>> query(CollectionDescription c, List<?> primaryKeys,
                                                                QueryOptions options) {
        List<List<Object>> keysByShard = null;
        if (primaryKeys != null) {
            keysByShard = new ArrayList<>();
            for (int i = 0; i < c.shards(); i++) {
                keysByShard.add(new ArrayList<>());
            }
            try {
                for (int i = 0; i < primaryKeys.size(); i++) {
                    Object pk = RowBatch.primaryKeyValue(c.schema(), primaryKeys.get(i), "primary key " + i);
                    keysByShard.get(c.vchannels().indexOf(c.vchannelOf(pk))).add(pk);
                }
            } catch (StreamingException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        boolean intKeys = CollectionSchemas.primaryKey(c.schema()).getType() == DataType.INT64;
        List<CompletableFuture<ShardQueryResponse>> parts = new ArrayList<>();
        for (int shard = 0; shard < c.shards(); shard++) {
            String v = c.vchannels().get(shard);
            ShardQueryRequest.Builder r = ShardQueryRequest.newBuilder().setRead(read(c, v, options))
                    .setLimit(options.limit());
            if (keysByShard != null) {
                List<Object> keys = keysByShard.get(shard);
                if (keys.isEmpty()) {
                    continue;
                }
                if (intKeys) {
                    r.setIntPks(Int64Array.newBuilder().addAllValues(keys.stream().map(k -> (Long) k).toList()));
                } else {
                    r.setStringPks(StringArray.newBuilder().addAllValues(keys.stream().map(k -> (String) k).toList()));
                }
            }
            ShardQueryRequest request = r.build();
            parts.add(ReplicaCalls.call(ctx, v, options.timeout(), QueryServiceGrpc::newStub,
                    (stub, out) -> stub.query(request, out)));
        }
        return allOf(parts).thenApply(rs -> mergeRows(c, rs, options.limit()));
    }

    private ShardRead read(CollectionDescription c, String vchannel, QueryOptions options) {
        ShardRead.Builder b = ShardRead.newBuilder().setVchannel(vchannel).setCollectionId(c.id())
                .setConsistency(options.consistency().toProto()).setFilter(options.filter())
                .addAllOutputFields(options.outputFields());
        if (options.consistency() == Consistency.SESSION) {
            b.setGuaranteeTimeTick(session.lastWrite(vchannel));
        }
        return b.build();
    }

    private static <T> CompletableFuture<List<T>> allOf(List<CompletableFuture<T>> parts) {
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    private static List<Map<String, Object>> mergeRows(CollectionDescription c, List<ShardQueryResponse> parts,
                                                       long limit) {
        String pk = CollectionSchemas.primaryKey(c.schema()).getName();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ShardQueryResponse r : parts) {
            rows.addAll(rowsOf(r.getNumRows(), r.getColumnsList()));
        }
        rows.sort(Comparator.comparing(row -> row.get(pk), Queries::comparePrimaryKeys));
        return limit > 0 && rows.size() > limit ? List.copyOf(rows.subList(0, (int) limit)) : rows;
    }

    private static List<SearchHit> mergeHits(CollectionDescription c, List<ShardSearchResponse> parts, int topK,
                                             Metric metric) {
        String pk = CollectionSchemas.primaryKey(c.schema()).getName();
        List<SearchHit> hits = new ArrayList<>();
        for (ShardSearchResponse r : parts) {
            List<Map<String, Object>> rows = rowsOf(r.getNumRows(), r.getColumnsList());
            for (int i = 0; i < rows.size(); i++) {
                hits.add(new SearchHit(rows.get(i), r.getScores(i)));
            }
        }
        Comparator<SearchHit> byScore = Comparator.comparingDouble(SearchHit::score);
        hits.sort((metric.smallerIsBetter() ? byScore : byScore.reversed())
                .thenComparing(h -> h.row().get(pk), Queries::comparePrimaryKeys));
        return hits.size() > topK ? List.copyOf(hits.subList(0, topK)) : hits;
    }

    private static List<Map<String, Object>> rowsOf(int rows, List<Column> columns) {
        return Rows.fromInsertBody(InsertBody.newBuilder().setNumRows(rows).addAllColumns(columns).build());
    }

    /** INT64 keys numerically, VARCHAR keys by Unicode code point (the order of their UTF-8 bytes). */
    static int comparePrimaryKeys(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        String s = (String) a;
        String t = (String) b;
        int i = 0;
        int j = 0;
        while (i < s.length() && j < t.length()) {
            int p = s.codePointAt(i);
            int q = t.codePointAt(j);
            if (p != q) {
                return Integer.compare(p, q);
            }
            i += Character.charCount(p);
            j += Character.charCount(q);
        }
        return Boolean.compare(i < s.length(), j < t.length());
    }
}
