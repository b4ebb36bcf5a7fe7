package io.tidelog.client;

import io.grpc.stub.StreamObserver;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.AlterCollectionRequest;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CreateCollectionRequest;
import io.tidelog.proto.DescribeCollectionRequest;
import io.tidelog.proto.DropCollectionRequest;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FlushRequest;
import io.tidelog.proto.ListCollectionsRequest;
import io.tidelog.proto.PartitionRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The collection catalog of the cluster (the coordinator's {@code CollectionService}): DDL and reads.
 * Obtained from {@link StreamingClient#collections()}; as thread-safe as the client.
 *
 * <p>Each DDL returns once every vchannel of the collection has it. Futures fail with the coordinator's
 * code: {@code INVALID_ARGUMENT} (a bad name or schema, naming the field), {@code ALREADY_EXISTS},
 * {@code NOT_FOUND}; {@code ON_SHUTDOWN} when the coordinator cannot be reached or stops mid-way, and
 * {@code TIMEOUT} past the deadline: the DDL's outcome is then unknown (it may still complete, the
 * coordinator resumes persisted DDL): {@link #describe} tells. Each call goes to the leading coordinator and
 * follows a change of leader within its deadline (then {@code NOT_LEADER} or {@code ON_SHUTDOWN} if no leader
 * answered); a DDL sent again to a new leader after a broken connection may find its own effect
 * ({@code ALREADY_EXISTS}, {@code NOT_FOUND}).
 */
public final class Collections {
    /** The deadline of each call unless {@link #withTimeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private final ClientContext ctx;
    private final Duration timeout;

    Collections(ClientContext ctx, Duration timeout) {
        this.ctx = ctx;
        this.timeout = timeout;
    }

    /** The same catalog with another deadline per call. */
    public Collections withTimeout(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw StreamingException.invalidArgument("the deadline must be positive, got " + deadline);
        }
        return new Collections(ctx, deadline);
    }

    /** Creates a collection of the coordinator's default number of shards ({@code catalog.default.shards}). */
    public CompletableFuture<CollectionDescription> create(String name, CollectionSchema schema) {
        return create(CreateCollectionRequest.newBuilder().setName(name).setSchema(schema).build());
    }

    /**
     * Creates a collection of {@code shards} shards: 1 to the coordinator's {@code catalog.max.shards}, else the
     * call fails with {@code INVALID_ARGUMENT}.
     */
    public CompletableFuture<CollectionDescription> create(String name, CollectionSchema schema, int shards) {
        return create(CreateCollectionRequest.newBuilder().setName(name).setSchema(schema).setShards(shards).build());
    }

    /**
     * Creates a collection as {@code options} say; a count beyond the coordinator's limits fails the call with
     * {@code INVALID_ARGUMENT}.
     */
    public CompletableFuture<CollectionDescription> create(String name, CollectionSchema schema,
                                                           CreateCollectionOptions options) {
        CreateCollectionRequest.Builder r = CreateCollectionRequest.newBuilder().setName(name).setSchema(schema);
        options.shards().ifPresent(r::setShards);
        options.replicas().ifPresent(r::setReplicas);
        return create(r.build());
    }

    private CompletableFuture<CollectionDescription> create(CreateCollectionRequest r) {
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.createCollection(r, out), CollectionDescription::fromProto);
    }

    /** Drops a collection; the result describes it as it was. */
    public CompletableFuture<CollectionDescription> drop(String name) {
        DropCollectionRequest r = DropCollectionRequest.newBuilder().setName(name).build();
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.dropCollection(r, out), CollectionDescription::fromProto);
    }

    public CompletableFuture<CollectionDescription> describe(String name) {
        DescribeCollectionRequest r = DescribeCollectionRequest.newBuilder().setName(name).build();
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.describeCollection(r, out), CollectionDescription::fromProto);
    }

    /** Every collection, ordered by name. */
    public CompletableFuture<List<CollectionDescription>> list() {
        return this.<io.tidelog.proto.ListCollectionsResponse, List<CollectionDescription>>call(
                (stub, out) -> stub.listCollections(ListCollectionsRequest.getDefaultInstance(), out),
                l -> l.getCollectionsList().stream().map(CollectionDescription::fromProto).toList());
    }

    public CompletableFuture<CollectionDescription> createPartition(String collection, String partition) {
        PartitionRequest r = PartitionRequest.newBuilder().setCollection(collection).setPartition(partition).build();
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.createPartition(r, out), CollectionDescription::fromProto);
    }

    public CompletableFuture<CollectionDescription> dropPartition(String collection, String partition) {
        PartitionRequest r = PartitionRequest.newBuilder().setCollection(collection).setPartition(partition).build();
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.dropPartition(r, out), CollectionDescription::fromProto);
    }

    /** Adds a nullable field (the schema's version goes up by one). */
    public CompletableFuture<CollectionDescription> addField(String collection, FieldSchema field) {
        AlterCollectionRequest r = AlterCollectionRequest.newBuilder().setName(collection).setAddField(field).build();
        return this.<io.tidelog.proto.CollectionInfo, CollectionDescription>call((stub, out) -> stub.alterCollection(r, out), CollectionDescription::fromProto);
    }

    /** Seals every growing segment of the collection, on every vchannel; returns the sealed segments. */
    public CompletableFuture<Flushed> flush(String collection) {
        FlushRequest r = FlushRequest.newBuilder().setCollection(collection).build();
        return this.<io.tidelog.proto.FlushResponse, Flushed>call((stub, out) -> stub.flush(r, out),
                f -> new Flushed(f.getCollectionId(), f.getFlushTimeTick(), f.getSegmentIdsList()));
    }

    /**
     * The segments of a collection: growing, flushed (in object storage) and its delete logs, each with its rows,
     * time-tick range and object keys.
     */
    public CompletableFuture<List<io.tidelog.proto.SegmentInfo>> segments(String collection) {
        io.tidelog.proto.ListSegmentsRequest r = io.tidelog.proto.ListSegmentsRequest.newBuilder()
                .setCollection(collection).build();
        return this.<io.tidelog.proto.ListSegmentsResponse, List<io.tidelog.proto.SegmentInfo>>call(
                (stub, out) -> stub.listSegments(r, out), io.tidelog.proto.ListSegmentsResponse::getSegmentsList);
    }

    public List<io.tidelog.proto.SegmentInfo> segmentsBlocking(String collection) {
        return StreamingClient.await(segments(collection));
    }

    // ---- blocking conveniences: wait for the future; throw what it fails with ----

    public CollectionDescription createBlocking(String name, CollectionSchema schema) {
        return StreamingClient.await(create(name, schema));
    }

    public CollectionDescription createBlocking(String name, CollectionSchema schema, int shards) {
        return StreamingClient.await(create(name, schema, shards));
    }

    public CollectionDescription createBlocking(String name, CollectionSchema schema, CreateCollectionOptions options) {
        return StreamingClient.await(create(name, schema, options));
    }

    public CollectionDescription dropBlocking(String name) {
        return StreamingClient.await(drop(name));
    }

    public CollectionDescription describeBlocking(String name) {
        return StreamingClient.await(describe(name));
    }

    public List<CollectionDescription> listBlocking() {
        return StreamingClient.await(list());
    }

    public Flushed flushBlocking(String collection) {
        return StreamingClient.await(flush(collection));
    }

    private <R, T> CompletableFuture<T> call(BiConsumer<CollectionServiceGrpc.CollectionServiceStub, StreamObserver<R>> rpc,
                                             Function<R, T> convert) {
        return CoordinatorCalls.call(ctx, CollectionServiceGrpc::newStub, timeout, rpc, convert);
    }
}
