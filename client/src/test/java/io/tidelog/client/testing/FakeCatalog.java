package io.tidelog.client.testing;

import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CreateCollectionRequest;
import io.tidelog.proto.DescribeCollectionRequest;
import io.tidelog.proto.ListCollectionsRequest;
import io.tidelog.proto.ListCollectionsResponse;
import java.util.Map;
import java.util.TreeMap;

/**
 * A collection catalog for tests: create, describe and list, in memory; a created collection has one shard on
 * {@code p-0}. The other calls are unimplemented. Thread-safe.
 */
public final class FakeCatalog extends CollectionServiceGrpc.CollectionServiceImplBase {
    private final Map<String, CollectionInfo> collections = new TreeMap<>();
    private long nextId = 100;

    @Override
    public synchronized void createCollection(CreateCollectionRequest request, StreamObserver<CollectionInfo> out) {
        if (collections.containsKey(request.getName())) {
            out.onError(FakeErrors.status(ErrorCode.ALREADY_EXISTS, "collection " + request.getName() + " exists"));
            return;
        }
        long id = nextId++;
        CollectionInfo info = CollectionInfo.newBuilder().setCollectionId(id).setName(request.getName())
                .setSchema(request.getSchema()).addVchannels("p-0_" + id + "v0").build();
        collections.put(request.getName(), info);
        out.onNext(info);
        out.onCompleted();
    }

    @Override
    public synchronized void describeCollection(DescribeCollectionRequest request, StreamObserver<CollectionInfo> out) {
        CollectionInfo info = collections.get(request.getName());
        if (info == null) {
            out.onError(FakeErrors.status(ErrorCode.NOT_FOUND, "no collection " + request.getName()));
            return;
        }
        out.onNext(info);
        out.onCompleted();
    }

    @Override
    public synchronized void listCollections(ListCollectionsRequest request, StreamObserver<ListCollectionsResponse> out) {
        out.onNext(ListCollectionsResponse.newBuilder().addAllCollections(collections.values()).build());
        out.onCompleted();
    }
}
