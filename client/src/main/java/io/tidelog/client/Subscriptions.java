package io.tidelog.client;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageIds;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.CommitSubscriptionRequest;
import io.tidelog.proto.DeleteSubscriptionRequest;
import io.tidelog.proto.DeleteSubscriptionResponse;
import io.tidelog.proto.ListSubscriptionsRequest;
import io.tidelog.proto.ListSubscriptionsResponse;
import io.tidelog.proto.SubscribeRequest;
import io.tidelog.proto.SubscriptionPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Durable subscriptions: named, persisted read positions of vchannels that hold the WAL's retention (see
 * {@code wal.retention.*} on the server). Each call goes to the owner of the vchannel's pchannel, waiting for it
 * and retrying as {@link StreamingClient} does for appends, up to the deadline. A consumer uses one through
 * {@link ConsumerOptions#withSubscription}; these calls are for tools and operators. Obtained from
 * {@link StreamingClient#subscriptions()}; as thread-safe as the client.
 */
public final class Subscriptions {
    /** The deadline of each call unless {@link #withTimeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final ClientContext ctx;
    private final Duration timeout;

    Subscriptions(ClientContext ctx, Duration timeout) {
        this.ctx = ctx;
        this.timeout = timeout;
    }

    /** The same calls with another deadline each. */
    public Subscriptions withTimeout(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw StreamingException.invalidArgument("the deadline must be positive, got " + deadline);
        }
        return new Subscriptions(ctx, deadline);
    }

    /**
     * The subscription {@code name} of {@code vchannel}, created at {@code start} if it does not exist (an existing
     * one keeps its position; {@link SubscriptionStatus#created()} tells which).
     */
    public CompletableFuture<SubscriptionStatus> subscribe(String vchannel, String name, StartPosition start) {
        return subscribe(vchannel, name, start, false);
    }

    /**
     * As {@link #subscribe(String, String, StartPosition)}, and with {@code claim} the calling consumer claims it: its
     * generation goes up, and commits of the consumer it takes over from fail with {@code SUBSCRIPTION_TAKEN_OVER}.
     */
    CompletableFuture<SubscriptionStatus> subscribe(String vchannel, String name, StartPosition start, boolean claim) {
        Vchannels.validateVchannel(vchannel);
        SubscribeRequest r = SubscribeRequest.newBuilder().setVchannel(vchannel).setName(name)
                .setStart(start.toProto()).setClaim(claim).build();
        return OwnerCalls.<io.tidelog.proto.SubscriptionInfo>call(ctx, Vchannels.pchannelOf(vchannel), timeout,
                (stub, out) -> stub.subscribe(r, out)).thenApply(SubscriptionStatus::fromProto);
    }

    /**
     * Commits a subscription's position: resume from {@code id}, skipping time ticks up to {@code timeTick}. An
     * administrative move: it counts whichever consumer holds the subscription.
     */
    public CompletableFuture<SubscriptionStatus> commit(String vchannel, String name, io.tidelog.common.MessageId id,
                                                        long timeTick) {
        return commit(vchannel, name, id, timeTick, 0);
    }

    /** A commit by the consumer that claimed {@code generation}; fails with {@code SUBSCRIPTION_TAKEN_OVER} after a newer claim. */
    CompletableFuture<SubscriptionStatus> commit(String vchannel, String name, io.tidelog.common.MessageId id,
                                                 long timeTick, long generation) {
        Vchannels.validateVchannel(vchannel);
        CommitSubscriptionRequest r = CommitSubscriptionRequest.newBuilder().setVchannel(vchannel).setName(name)
                .setPosition(SubscriptionPosition.newBuilder().setMessageId(MessageIds.toProto(id)).setTimeTick(timeTick))
                .setGeneration(generation).build();
        return OwnerCalls.<io.tidelog.proto.SubscriptionInfo>call(ctx, Vchannels.pchannelOf(vchannel), timeout,
                (stub, out) -> stub.commitSubscription(r, out)).thenApply(SubscriptionStatus::fromProto);
    }

    /** The subscriptions of {@code vchannel}, with their lag, ordered by name. */
    public CompletableFuture<List<SubscriptionStatus>> list(String vchannel) {
        Vchannels.validateVchannel(vchannel);
        ListSubscriptionsRequest r = ListSubscriptionsRequest.newBuilder().setVchannel(vchannel).build();
        return OwnerCalls.<ListSubscriptionsResponse>call(ctx, Vchannels.pchannelOf(vchannel), timeout,
                (stub, out) -> stub.listSubscriptions(r, out)).thenApply(Subscriptions::statuses);
    }

    /**
     * Every subscription of every pchannel (as the coordinator's assignments name them; a new client waits for
     * them up to the deadline), ordered by vchannel and name.
     */
    public CompletableFuture<List<SubscriptionStatus>> list() {
        return ctx.assignments().firstSnapshot().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(new StreamingException(ErrorCode.TIMEOUT,
                        "no assignment from the coordinator at " + ctx.assignments().target() + " in " + timeout
                                + (ctx.assignments().watchError() == null ? "" : ": " + ctx.assignments().watchError().getMessage()))))
                .thenCompose(all -> listAll());
    }

    private CompletableFuture<List<SubscriptionStatus>> listAll() {
        Map<String, List<String>> byNode = new TreeMap<>();
        ctx.assignments().all().forEach((pchannel, a) -> byNode.computeIfAbsent(a.nodeId(), n -> new ArrayList<>()).add(pchannel));
        List<CompletableFuture<List<SubscriptionStatus>>> parts = new ArrayList<>();
        for (List<String> pchannels : byNode.values()) {
            ListSubscriptionsRequest r = ListSubscriptionsRequest.newBuilder().addAllPchannels(pchannels).build();
            parts.add(OwnerCalls.<ListSubscriptionsResponse>call(ctx, pchannels.get(0), timeout,
                    (stub, out) -> stub.listSubscriptions(r, out)).thenApply(Subscriptions::statuses));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<SubscriptionStatus> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            all.sort(Comparator.comparing(SubscriptionStatus::vchannel).thenComparing(SubscriptionStatus::name));
            return all;
        });
    }

    /** Deletes a subscription; completes with whether it existed. */
    public CompletableFuture<Boolean> delete(String vchannel, String name) {
        Vchannels.validateVchannel(vchannel);
        DeleteSubscriptionRequest r = DeleteSubscriptionRequest.newBuilder().setVchannel(vchannel).setName(name).build();
        return OwnerCalls.<DeleteSubscriptionResponse>call(ctx, Vchannels.pchannelOf(vchannel), timeout,
                (stub, out) -> stub.deleteSubscription(r, out)).thenApply(DeleteSubscriptionResponse::getDeleted);
    }

    private static List<SubscriptionStatus> statuses(ListSubscriptionsResponse r) {
        return r.getSubscriptionsList().stream().map(SubscriptionStatus::fromProto).toList();
    }
}
