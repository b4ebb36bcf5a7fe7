package io.tidelog.server;

import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.Vchannels;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalManager;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.retention.Subscription;
import io.tidelog.node.retention.SubscriptionStore;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.CommitSubscriptionRequest;
import io.tidelog.proto.DeleteSubscriptionRequest;
import io.tidelog.proto.DeleteSubscriptionResponse;
import io.tidelog.proto.ListSubscriptionsRequest;
import io.tidelog.proto.ListSubscriptionsResponse;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.SubscribeRequest;
import io.tidelog.proto.SubscriptionInfo;
import io.tidelog.proto.SubscriptionPosition;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.wal.DeliverPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The durable-subscription calls of the streaming node's service: each is served by the owner of the vchannel's
 * pchannel (the client routes it there), which creates and commits subscriptions under the same lock as its
 * truncation ({@link StreamingWal#subscribe}).
 *
 * <p>A listing counts each subscription's lag in messages by reading its vchannel from the committed position
 * to the end of the log, for at most {@link #LAG_COUNT_BUDGET} per subscription (beyond, the count is a lower
 * bound, marked inexact). Threads: every call runs on {@code executor}, never on gRPC's event loop.
 */
final class SubscriptionRpcs {
    static final Duration LAG_COUNT_BUDGET = Duration.ofSeconds(1);
    private static final Duration LAG_POLL = Duration.ofMillis(50);

    private final WalManager wals;
    private final SubscriptionStore store;
    private final Executor executor;

    SubscriptionRpcs(WalManager wals, SubscriptionStore store, Executor executor) {
        this.wals = wals;
        this.store = store;
        this.executor = executor;
    }

    void subscribe(SubscribeRequest r, StreamObserver<SubscriptionInfo> out) {
        respond(out, () -> {
            StreamingWal wal = owner(r.getVchannel());
            StreamingWal.Subscribed s = wal.subscribe(r.getVchannel(), r.getName(),
                    StreamingNodeService.policy(r.getStart()), r.getClaim());
            return info(s.subscription(), wal).setCreated(s.created()).build();
        });
    }

    void commit(CommitSubscriptionRequest r, StreamObserver<SubscriptionInfo> out) {
        respond(out, () -> {
            StreamingWal wal = owner(r.getVchannel());
            if (!r.hasPosition() || !r.getPosition().hasMessageId()) {
                throw StreamingException.invalidArgument("a commit names the position to commit");
            }
            Checkpoint p = new Checkpoint(MessageIds.fromProto(r.getPosition().getMessageId()), r.getPosition().getTimeTick());
            return info(wal.commitSubscription(r.getVchannel(), r.getName(), p, r.getGeneration()), wal).build();
        });
    }

    void list(ListSubscriptionsRequest r, StreamObserver<ListSubscriptionsResponse> out) {
        respond(out, () -> {
            ListSubscriptionsResponse.Builder b = ListSubscriptionsResponse.newBuilder();
            List<String> pchannels = r.getVchannel().isEmpty() ? r.getPchannelsList()
                    : List.of(Vchannels.pchannelOf(r.getVchannel()));
            for (String pchannel : pchannels) {
                StreamingWal wal = wals.get(pchannel, 0);
                for (Subscription s : store.list(pchannel)) {
                    if (r.getVchannel().isEmpty() || r.getVchannel().equals(s.vchannel())) {
                        b.addSubscriptions(withLag(info(s, wal), s, wal));
                    }
                }
            }
            return b.build();
        });
    }

    void delete(DeleteSubscriptionRequest r, StreamObserver<DeleteSubscriptionResponse> out) {
        respond(out, () -> {
            owner(r.getVchannel());
            Subscription.validateName(r.getName());
            return DeleteSubscriptionResponse.newBuilder().setDeleted(store.delete(r.getVchannel(), r.getName())).build();
        });
    }

    private StreamingWal owner(String vchannel) {
        Vchannels.validateVchannel(vchannel);
        return wals.get(Vchannels.pchannelOf(vchannel), 0);
    }

    private static SubscriptionInfo.Builder info(Subscription s, StreamingWal wal) {
        return SubscriptionInfo.newBuilder().setVchannel(s.vchannel()).setName(s.name())
                .setPosition(SubscriptionPosition.newBuilder().setMessageId(MessageIds.toProto(s.position().messageId()))
                        .setTimeTick(s.position().timeTick()))
                .setCreatedAtMillis(s.createdAt().toEpochMilli()).setCommittedAtMillis(s.committedAt().toEpochMilli())
                .setLetGo(wal.isLetGo(s)).setGeneration(s.generation());
    }

    /** Adds the lag: in time against the pchannel's last time tick, in messages by reading the vchannel. */
    private static SubscriptionInfo withLag(SubscriptionInfo.Builder b, Subscription s, StreamingWal wal) {
        long end = wal.lastTimeTick();
        b.setLagMillis(Math.max(0, HybridTimestamps.physicalMillis(end) - HybridTimestamps.physicalMillis(s.position().timeTick())));
        long deadline = System.nanoTime() + LAG_COUNT_BUDGET.toNanos();
        long count = 0;
        boolean exact = false;
        ReadOptions options = new ReadOptions(DeliverPolicy.startFrom(s.position().messageId()), s.vchannel(),
                s.position().timeTick(), 0, Set.of());
        try (MessageScanner scanner = wal.read(options)) {
            // Read until the end captured above: every message up to it has a time tick at or below it, and
            // TimeTicks (delivered to vchannel readers too) keep arriving after it, so the loop ends once caught up.
            while (System.nanoTime() < deadline) {
                ImmutableMessage m = scanner.poll(LAG_POLL);
                if (m == null) {
                    continue;
                }
                if (Long.compareUnsigned(m.timeTick(), end) > 0) {
                    exact = true;
                    break;
                }
                if (m.type() != MessageType.TIME_TICK) {
                    count++;
                }
                if (m.timeTick() == end) {
                    exact = true;
                    break;
                }
            }
        } catch (StreamingException e) {
            if (e.code() != ErrorCode.OUT_OF_RANGE) {
                throw e;
            }
            // truncated past: the lag in messages is unknown; let_go says why
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while counting the lag of " + s);
        }
        return b.setLagMessages(count).setLagMessagesExact(exact).build();
    }

    private <T> void respond(StreamObserver<T> out, Supplier<T> call) {
        executor.execute(() -> {
            T response;
            try {
                response = call.get();
            } catch (RuntimeException e) {
                out.onError(GrpcErrors.toStatus(e));
                return;
            }
            out.onNext(response);
            out.onCompleted();
        });
    }
}
