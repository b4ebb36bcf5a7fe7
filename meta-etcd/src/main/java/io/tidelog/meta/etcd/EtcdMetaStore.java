package io.tidelog.meta.etcd;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaKeys;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The etcd meta store ({@code etcd}): the cluster's meta store, over etcd v3's gRPC API through jetcd 0.8.7's
 * generated stubs. The SPI was modelled on etcd, so each call is one etcd request (a watch, one stream) and keys,
 * revisions, versions, leases, comparisons and watch events are etcd's own.
 *
 * <p><b>Key space.</b> Every key lives under {@link EtcdMetaStoreConfig#root()} (several clusters share one etcd,
 * each under its own root). Revisions are etcd's: shared by every root of that etcd, so a store sees its
 * revision jump when another root is written, and {@link #currentRevision()} is etcd's, never 0.
 *
 * <p><b>Calls.</b> {@code get}, {@code range} and {@code currentRevision} are linearizable reads; {@code put},
 * {@code delete}, {@code deletePrefix} and {@code txn} are one request each and durable on return (etcd
 * acknowledges once a quorum logged it). Every call has the deadline {@link EtcdMetaStoreConfig#requestTimeout()};
 * how failures map to codes, and when a write's outcome is unknown, is {@link EtcdConnection}'s to say. jetcd's own
 * KV, lease and watch clients are not used: their transactions cannot compare leases, their calls carry no
 * deadline, they re-send writes on their own, and their watches report passing disconnections as errors.
 *
 * <p><b>Leases</b> are etcd's. A time to live is rounded up to whole seconds (etcd's unit; etcd also raises it to
 * its minimum, 1.5 election timeouts). etcd revokes expired leases itself (it looks every 500 ms) and, after a
 * restart or a new leader, gives every lease its full time to live again, as the SPI says.
 *
 * <p><b>Watches</b>: see {@link EtcdWatchDispatcher}.
 *
 * <p><b>Large values.</b> A value above {@link EtcdMetaStoreConfig#maxValueBytes()} (and a call above the SPI's
 * {@link #MAX_REQUEST_BYTES}) is refused with {@code INVALID_ARGUMENT} before anything is sent; a request etcd
 * finds larger than its {@code --max-request-bytes} is refused by etcd, with nothing written, and reported so. The
 * store does not split values across keys. Its large values are the node's recovery snapshots, and
 * {@code MetaRecoveryStore} already writes them in chunks of 512 KiB with a pointer written last, which keeps
 * them atomic; splitting again here would make one key several etcd keys, and its revisions, versions, watch
 * events, value comparisons and the operations a transaction may hold would no longer be etcd's, for no gain. Reads have no limit
 * of their own: a range or a watch may return far more than one request carries.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. The store owns one thread, the watch dispatcher;
 * gRPC's threads run the streams.
 */
public final class EtcdMetaStore implements MetaStore {
    public static final String NAME = "etcd";

    /** etcd's largest time to live, in seconds. */
    private static final long MAX_TTL_SECONDS = 9_000_000_000L;
    /** etcd's {@code Compare.CompareTarget.LEASE} and the field {@code Compare.lease}, which jetcd's proto lacks. */
    private static final int LEASE_TARGET = 4;
    private static final int LEASE_FIELD = 8;

    private final EtcdMetaStoreConfig config;
    private final KeySpace keys;
    private final EtcdConnection connection;
    private final EtcdWatchDispatcher dispatcher;

    public EtcdMetaStore(EtcdMetaStoreConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.keys = new KeySpace(config.root());
        this.connection = new EtcdConnection(config);
        this.dispatcher = new EtcdWatchDispatcher(connection, keys);
        dispatcher.start();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        MetaKeys.requireKey(key);
        RangeResponse r = connection.read("get " + key,
                () -> connection.kv().range(RangeRequest.newBuilder().setKey(keys.key(key)).build()));
        return r.getKvsCount() == 0 ? Optional.empty() : Optional.of(keys.keyValue(r.getKvs(0)));
    }

    @Override
    public Range range(String prefix, int limit) {
        MetaStore.validateRange(prefix, limit);
        RangeRequest request = RangeRequest.newBuilder().setKey(keys.key(prefix)).setRangeEnd(keys.rangeEnd(prefix))
                .setLimit(limit).build();
        RangeResponse r = connection.read("range of prefix '" + prefix + "'", () -> connection.kv().range(request));
        List<KeyValue> kvs = new ArrayList<>(r.getKvsCount());
        r.getKvsList().forEach(kv -> kvs.add(keys.keyValue(kv)));
        return new Range(kvs, r.getHeader().getRevision(), r.getMore());
    }

    @Override
    public long put(String key, byte[] value, long leaseId) {
        MetaStore.validatePut(key, value, leaseId);
        requireValueSize(key, value.length);
        PutRequest request = putRequest(key, value, leaseId);
        return connection.write("put " + key, () -> connection.kv().put(request)).getHeader().getRevision();
    }

    @Override
    public boolean delete(String key) {
        MetaKeys.requireKey(key);
        DeleteRangeRequest request = DeleteRangeRequest.newBuilder().setKey(keys.key(key)).build();
        return connection.write("delete " + key, () -> connection.kv().deleteRange(request)).getDeleted() > 0;
    }

    @Override
    public int deletePrefix(String prefix) {
        MetaStore.validateDeletePrefix(prefix);
        DeleteRangeRequest request = DeleteRangeRequest.newBuilder().setKey(keys.key(prefix))
                .setRangeEnd(keys.rangeEnd(prefix)).build();
        return (int) connection.write("delete prefix " + prefix, () -> connection.kv().deleteRange(request)).getDeleted();
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        MetaStore.validateTxn(compares, onSuccess, onFailure);
        TxnRequest.Builder request = TxnRequest.newBuilder();
        compares.forEach(c -> request.addCompare(compare(c)));
        onSuccess.forEach(op -> request.addSuccess(requestOp(op)));
        onFailure.forEach(op -> request.addFailure(requestOp(op)));
        TxnRequest built = request.build();
        TxnResponse r = connection.write("transaction on " + firstKey(compares, onSuccess, onFailure),
                () -> connection.kv().txn(built));
        List<Op> ran = r.getSucceeded() ? onSuccess : onFailure;
        List<Optional<KeyValue>> gets = new ArrayList<>();
        for (int i = 0; i < ran.size(); i++) {
            if (ran.get(i) instanceof Op.Get) {
                ResponseOp response = r.getResponses(i);
                gets.add(response.getResponseRange().getKvsCount() == 0 ? Optional.empty()
                        : Optional.of(keys.keyValue(response.getResponseRange().getKvs(0))));
            }
        }
        return new TxnResult(r.getSucceeded(), r.getHeader().getRevision(), gets);
    }

    @Override
    public long currentRevision() {
        return connection.read("read the current revision", () -> connection.kv().range(RangeRequest.newBuilder()
                .setKey(keys.key("")).setCountOnly(true).build())).getHeader().getRevision();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        MetaStore.validateWatch(prefix, fromRevision, listener);
        dispatcher.requireHistory(fromRevision);
        return dispatcher.add(prefix, fromRevision, listener);
    }

    @Override
    public long grantLease(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw StreamingException.invalidArgument("a lease's time to live must be positive, got " + ttl);
        }
        long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
        if (seconds > MAX_TTL_SECONDS) {
            throw StreamingException.invalidArgument("a lease's time to live is at most " + MAX_TTL_SECONDS
                    + " s in etcd, got " + ttl);
        }
        LeaseGrantResponse r = connection.write("grant a lease of " + seconds + " s",
                () -> connection.lease().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(seconds).build()));
        if (!r.getError().isEmpty()) {
            throw new StreamingException(ErrorCode.INNER, "etcd did not grant a lease of " + seconds + " s: "
                    + r.getError());
        }
        return r.getID();
    }

    @Override
    public boolean keepAlive(long leaseId) {
        return connection.read("keep lease " + leaseId + " alive", () -> keepAliveOnce(leaseId)).getTTL() > 0;
    }

    /** One exchange on a keep-alive stream (etcd has no single request for it); TTL 0: no such lease. */
    private LeaseKeepAliveResponse keepAliveOnce(long leaseId) {
        CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
        StreamObserver<LeaseKeepAliveRequest> stream = connection.leaseStream().leaseKeepAlive(new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse r) {
                answer.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.completeExceptionally(Status.UNAVAILABLE.withDescription("etcd ended the keep-alive stream"
                        + " without an answer").asRuntimeException());
            }
        });
        stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
        LeaseKeepAliveResponse r;
        try {
            r = answer.join(); // bounded by the stream's deadline
        } catch (CompletionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : Status.fromThrowable(e.getCause())
                    .asRuntimeException();
        }
        stream.onCompleted();
        return r;
    }

    @Override
    public boolean revokeLease(long leaseId) {
        try {
            connection.write("revoke lease " + leaseId,
                    () -> connection.lease().leaseRevoke(LeaseRevokeRequest.newBuilder().setID(leaseId).build()));
            return true;
        } catch (StreamingException e) {
            if (e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Closes the store: calls in flight complete, later ones fail with {@code ON_SHUTDOWN}, watches end with
     * {@code ON_SHUTDOWN}, then the connection closes. Leases are not revoked. Idempotent.
     */
    @Override
    public void close() {
        connection.shut();
        dispatcher.stop(StreamingException.onShutdown("the etcd meta store is closed"));
        connection.close();
    }

    private void requireValueSize(String key, int bytes) {
        if (bytes > config.maxValueBytes()) {
            throw StreamingException.invalidArgument("the value of " + key + " has " + bytes + " bytes; "
                    + EtcdMetaStoreConfig.MAX_VALUE_BYTES + " allows at most " + config.maxValueBytes()
                    + " (etcd refuses requests above its --max-request-bytes): split it across keys");
        }
    }

    private PutRequest putRequest(String key, byte[] value, long leaseId) {
        return PutRequest.newBuilder().setKey(keys.key(key)).setValue(ByteString.copyFrom(value)).setLease(leaseId)
                .build();
    }

    private RequestOp requestOp(Op op) {
        if (op instanceof Op.Put p) {
            requireValueSize(p.key(), p.valueLength());
            return RequestOp.newBuilder().setRequestPut(putRequest(p.key(), p.value(), p.lease())).build();
        }
        if (op instanceof Op.Delete d) {
            return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(keys.key(d.key())))
                    .build();
        }
        return RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(keys.key(op.key()))).build();
    }

    private io.etcd.jetcd.api.Compare compare(Compare c) {
        io.etcd.jetcd.api.Compare.Builder b = io.etcd.jetcd.api.Compare.newBuilder().setKey(keys.key(c.key()))
                .setResult(switch (c.result()) {
                    case EQUAL -> io.etcd.jetcd.api.Compare.CompareResult.EQUAL;
                    case NOT_EQUAL -> io.etcd.jetcd.api.Compare.CompareResult.NOT_EQUAL;
                    case LESS -> io.etcd.jetcd.api.Compare.CompareResult.LESS;
                    case GREATER -> io.etcd.jetcd.api.Compare.CompareResult.GREATER;
                });
        return switch (c.target()) {
            case VERSION -> b.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.VERSION).setVersion(c.number()).build();
            case CREATE_REVISION -> b.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.CREATE)
                    .setCreateRevision(c.number()).build();
            case MOD_REVISION -> b.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.MOD).setModRevision(c.number())
                    .build();
            case VALUE -> b.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.VALUE)
                    .setValue(ByteString.copyFrom(c.operand())).build();
            // etcd 3.3 added lease comparisons; jetcd's copy of the proto predates them, so the target and the
            // field are written as etcd defines them (the wire carries numbers, not names)
            case LEASE -> b.setTargetValue(LEASE_TARGET).setUnknownFields(UnknownFieldSet.newBuilder()
                    .addField(LEASE_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(c.number()).build()).build())
                    .build();
        };
    }

    private static String firstKey(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        if (!compares.isEmpty()) {
            return compares.get(0).key();
        }
        return !onSuccess.isEmpty() ? onSuccess.get(0).key() : onFailure.isEmpty() ? "no key" : onFailure.get(0).key();
    }

    @Override
    public String toString() {
        return "EtcdMetaStore[" + config.endpointList() + ", root " + config.root() + "]";
    }
}
