package io.tidelog.meta.etcd;

import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.WatchGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The store's one gRPC channel to etcd, the calls made over it and the one mapping of their failures to
 * {@link ErrorCode}s.
 *
 * <p><b>Deadlines.</b> A call waits for a connection (gRPC's wait-for-ready: a member that restarts is waited
 * for, not failed at once) but never longer than {@link EtcdMetaStoreConfig#requestTimeout()} in all; the
 * stubs handed out carry that deadline. Watch streams, which live as long as their watch, get none.
 *
 * <p><b>Failures.</b> etcd not answering in time, unreachable, or lost in the middle of a call is
 * {@code TIMEOUT}, whatever the call. A write that fails so, or with any other code that is not a refusal by
 * etcd ({@code INNER}, {@code ON_SHUTDOWN}), has an unknown outcome and says so: etcd may have applied it whole.
 * What etcd refuses before applying anything (a request too large, a lease that does not exist, a compacted
 * revision, a full backend) keeps a code that says nothing was written.
 *
 * <p><b>Closing.</b> Calls run under the read side of a gate; {@link #close()} takes its write side, so it waits
 * for the calls in flight (each bounded by its deadline) and every later call fails with {@code ON_SHUTDOWN}.
 * Thread-safe.
 */
final class EtcdConnection implements AutoCloseable {
    /** Pings on an idle connection, so a watch on a dead connection notices it; etcd accepts one each 5 s. */
    private static final long KEEPALIVE_SECONDS = 10;
    /** What gRPC says about a call that never got a connection. */
    private static final String NO_CONNECTION = "waiting_for_connection";

    private final EtcdMetaStoreConfig config;
    private final ManagedChannel channel;
    private final KVGrpc.KVBlockingStub kv;
    private final LeaseGrpc.LeaseBlockingStub lease;
    private final LeaseGrpc.LeaseStub leaseStreams;
    private final WatchGrpc.WatchStub watchStreams;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private volatile boolean closed;

    EtcdConnection(EtcdMetaStoreConfig config) {
        this.config = config;
        // Responses carry what a range or a watch asks for: the SPI bounds each request, not what a read returns.
        this.channel = ManagedChannelBuilder.forTarget(config.target())
                .usePlaintext()
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .keepAliveTimeout(Math.max(1, config.requestTimeout().toSeconds()), TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .build();
        this.kv = KVGrpc.newBlockingStub(channel).withWaitForReady();
        this.lease = LeaseGrpc.newBlockingStub(channel).withWaitForReady();
        this.leaseStreams = LeaseGrpc.newStub(channel).withWaitForReady();
        this.watchStreams = WatchGrpc.newStub(channel);
    }

    EtcdMetaStoreConfig config() {
        return config;
    }

    /** The KV service, for one call: carries the deadline of one request. */
    KVGrpc.KVBlockingStub kv() {
        return kv.withDeadlineAfter(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The lease service, for one call: carries the deadline of one request. */
    LeaseGrpc.LeaseBlockingStub lease() {
        return lease.withDeadlineAfter(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The lease service's streams (keep-alive), for one exchange: carries the deadline of one request. */
    LeaseGrpc.LeaseStub leaseStream() {
        return leaseStreams.withDeadlineAfter(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The watch service: no deadline, a watch stream lives as long as its watch; and no waiting for a connection, so
     * that a stream opened while etcd is down fails, and its watch tries again (see {@link #reconnectNowIfDown}).
     */
    WatchGrpc.WatchStub watchStream() {
        return watchStreams;
    }

    boolean isClosed() {
        return closed;
    }

    /** Runs a call that only reads. */
    <T> T read(String what, Supplier<T> call) {
        return run(what, false, call);
    }

    /** Runs a call that may change etcd: a failure that is not etcd's refusal leaves its outcome unknown. */
    <T> T write(String what, Supplier<T> call) {
        return run(what, true, call);
    }

    private <T> T run(String what, boolean write, Supplier<T> call) {
        gate.readLock().lock();
        try {
            if (closed) {
                throw StreamingException.onShutdown("the etcd meta store is closed");
            }
            reconnectNowIfDown();
            return call.get();
        } catch (StatusRuntimeException e) {
            throw failure(what, write, e.getStatus(), e);
        } finally {
            gate.readLock().unlock();
        }
    }

    /**
     * Lets the next connection attempt start now if the last one failed. gRPC waits longer and longer between
     * attempts while etcd is down (up to two minutes); without this a call made after etcd came back would wait out
     * that backoff, and fail by its deadline, instead of connecting at once.
     */
    void reconnectNowIfDown() {
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
        }
    }

    /** The failure of the call {@code what} that ended with {@code status}, with the code callers act on. */
    StreamingException failure(String what, boolean write, Status status, Throwable cause) {
        String etcd = "etcd at " + config.endpointList();
        String unknown = write ? "; whether it was applied is unknown" : "";
        String detail = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        switch (status.getCode()) {
            case DEADLINE_EXCEEDED:
                boolean unreachable = detail.contains(NO_CONNECTION)
                        || channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE;
                return new StreamingException(ErrorCode.TIMEOUT, what + ": " + etcd
                        + (unreachable ? " cannot be reached" : " did not answer") + " within "
                        + config.requestTimeout().toMillis() + " ms (" + EtcdMetaStoreConfig.REQUEST_TIMEOUT + ")"
                        + unknown, cause);
            case UNAVAILABLE:
                return new StreamingException(ErrorCode.TIMEOUT, what + ": " + etcd + " is unavailable (" + detail + ")"
                        + unknown, cause);
            case CANCELLED:
                if (closed) {
                    return new StreamingException(ErrorCode.ON_SHUTDOWN, what + ": the etcd meta store closed" + unknown,
                            cause);
                }
                return new StreamingException(ErrorCode.INNER, what + " was cancelled (" + detail + ")" + unknown, cause);
            case NOT_FOUND:
                return new StreamingException(ErrorCode.INVALID_ARGUMENT, what + ": " + detail
                        + " (a lease that expired or was revoked is gone for good)", cause);
            case OUT_OF_RANGE:
                return new StreamingException(ErrorCode.OUT_OF_RANGE, what + ": " + detail, cause);
            case INVALID_ARGUMENT:
            case RESOURCE_EXHAUSTED:
                return refusal(what, write, status.getCode(), detail, cause, unknown);
            case FAILED_PRECONDITION:
            case PERMISSION_DENIED:
            case UNAUTHENTICATED:
                return new StreamingException(ErrorCode.INVALID_ARGUMENT, what + ": " + etcd + " refused it: " + detail,
                        cause);
            default:
                return new StreamingException(ErrorCode.INNER, what + " failed: " + status.getCode() + " " + detail
                        + unknown, cause);
        }
    }

    private StreamingException refusal(String what, boolean write, Status.Code code, String detail, Throwable cause,
            String unknown) {
        if (detail.contains("request is too large") || detail.contains("larger than max")) {
            return new StreamingException(ErrorCode.INVALID_ARGUMENT, what + ": etcd at " + config.endpointList()
                    + " refused a request larger than its --max-request-bytes (" + detail + "); keep values below it with "
                    + EtcdMetaStoreConfig.MAX_VALUE_BYTES + " (now " + config.maxValueBytes() + ")", cause);
        }
        if (code == Status.Code.INVALID_ARGUMENT) {
            return new StreamingException(ErrorCode.INVALID_ARGUMENT, what + ": etcd refused it: " + detail, cause);
        }
        if (detail.startsWith("etcdserver:")) {
            return new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, what + ": etcd refused it: " + detail
                    + (detail.contains("space exceeded") ? " (its backend is full, --quota-backend-bytes: compact and"
                    + " defragment etcd, then disarm its NOSPACE alarm)" : ""), cause);
        }
        // gRPC's own limit on this side: the answer was lost, not the request refused
        return new StreamingException(write ? ErrorCode.INNER : ErrorCode.RESOURCE_EXHAUSTED, what + ": " + detail
                + unknown, cause);
    }

    /** Fails every later call with {@code ON_SHUTDOWN} once the calls in flight are done; idempotent. */
    void shut() {
        gate.writeLock().lock();
        try {
            closed = true;
        } finally {
            gate.writeLock().unlock();
        }
    }

    /** Shuts the gate and the channel (watch streams still open are cut); idempotent. */
    @Override
    public void close() {
        shut();
        channel.shutdownNow();
        try {
            channel.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
