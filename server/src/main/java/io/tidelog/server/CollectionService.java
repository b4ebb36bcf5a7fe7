package io.tidelog.server;

import io.grpc.stub.StreamObserver;
import io.tidelog.coord.CollectionCatalog;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.AlterCollectionRequest;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CreateCollectionRequest;
import io.tidelog.proto.DescribeCollectionRequest;
import io.tidelog.proto.DropCollectionRequest;
import io.tidelog.proto.FlushRequest;
import io.tidelog.proto.FlushResponse;
import io.tidelog.proto.ListCollectionsRequest;
import io.tidelog.proto.ListCollectionsResponse;
import io.tidelog.proto.PartitionRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The collection catalog's gRPC face. DDL calls answer when the catalog's future completes (every vchannel
 * has the DDL); errors become a status with the {@code tidelog-error-code} trailer.
 */
final class CollectionService extends CollectionServiceGrpc.CollectionServiceImplBase {
    private final CollectionCatalog catalog;
    private final Executor responses;
    private final SegmentListing segments;

    /** @param responses where answers are sent from (never the catalog's thread) */
    CollectionService(CollectionCatalog catalog, Executor responses, SegmentListing segments) {
        this.catalog = catalog;
        this.responses = responses;
        this.segments = segments;
    }

    @Override
    public void listSegments(io.tidelog.proto.ListSegmentsRequest request,
                             StreamObserver<io.tidelog.proto.ListSegmentsResponse> out) {
        answer(() -> CompletableFuture.supplyAsync(() -> {
            long id = catalog.describe(request.getCollection()).getCollectionId();
            return io.tidelog.proto.ListSegmentsResponse.newBuilder().setCollectionId(id)
                    .addAllSegments(segments.of(id)).build();
        }, responses), out);
    }

    @Override
    public void createCollection(CreateCollectionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> catalog.createCollection(request.getName(), request.getSchema(),
                request.hasShards() ? request.getShards() : catalog.defaultShards(),
                request.hasReplicas() ? request.getReplicas() : 1), out);
    }

    @Override
    public void dropCollection(DropCollectionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> catalog.dropCollection(request.getName()), out);
    }

    @Override
    public void describeCollection(DescribeCollectionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> CompletableFuture.completedFuture(catalog.describe(request.getName())), out);
    }

    @Override
    public void listCollections(ListCollectionsRequest request, StreamObserver<ListCollectionsResponse> out) {
        answer(() -> CompletableFuture.completedFuture(
                ListCollectionsResponse.newBuilder().addAllCollections(catalog.list()).build()), out);
    }

    @Override
    public void createPartition(PartitionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> catalog.createPartition(request.getCollection(), request.getPartition()), out);
    }

    @Override
    public void dropPartition(PartitionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> catalog.dropPartition(request.getCollection(), request.getPartition()), out);
    }

    @Override
    public void alterCollection(AlterCollectionRequest request, StreamObserver<CollectionInfo> out) {
        answer(() -> catalog.addField(request.getName(), request.getAddField()), out);
    }

    @Override
    public void flush(FlushRequest request, StreamObserver<FlushResponse> out) {
        answer(() -> catalog.flush(request.getCollection()).thenApply(r -> FlushResponse.newBuilder()
                .setCollectionId(r.collectionId()).setFlushTimeTick(r.flushTimeTick())
                .addAllSegmentIds(r.segmentIds()).build()), out);
    }

    private <T> void answer(Supplier<CompletableFuture<T>> call, StreamObserver<T> out) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenCompleteAsync((value, err) -> {
            if (err != null) {
                out.onError(GrpcErrors.toStatus(err));
            } else {
                out.onNext(value);
                out.onCompleted();
            }
        }, responses);
    }
}
