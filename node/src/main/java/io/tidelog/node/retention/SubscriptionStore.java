package io.tidelog.node.retention;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.node.recovery.Checkpoint;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a streaming node keeps the durable subscriptions of its pchannels' vchannels (the recovery storage
 * implements it over the meta store), so that any owner of a pchannel, on any node, honours them.
 *
 * <p><b>Writers.</b> Subscriptions are created and committed through the pchannel's owner ({@code StreamingWal}),
 * which serialises them with its truncation: a subscription it created or committed is seen by its next
 * retention pass. A subscription is not fenced by term: the last commit wins.
 *
 * <p><b>Durability.</b> Every write is durable when it returns.
 *
 * <p><b>Threads.</b> Safe for concurrent use; calls block on the store.
 */
public interface SubscriptionStore {

    /** Every subscription of a vchannel of {@code pchannel}, ordered by vchannel, then name. */
    List<Subscription> list(String pchannel);

    Optional<Subscription> get(String vchannel, String name);

    /** Stores {@code s} unless a subscription of that vchannel and name exists; returns the stored one. */
    Subscription createIfAbsent(Subscription s);

    /**
     * Moves a subscription's committed position.
     *
     * @throws io.tidelog.common.StreamingException {@code NOT_FOUND} if it does not exist (deleted)
     */
    Subscription commit(String vchannel, String name, Checkpoint position, Instant at);

    /** Removes a subscription; false if there was none. */
    boolean delete(String vchannel, String name);

    /** Keeps nothing: no subscription exists (nodes run without a meta store, tests). */
    SubscriptionStore NONE = new SubscriptionStore() {
        @Override
        public List<Subscription> list(String pchannel) {
            return List.of();
        }

        @Override
        public Optional<Subscription> get(String vchannel, String name) {
            return Optional.empty();
        }

        @Override
        public Subscription createIfAbsent(Subscription s) {
            throw StreamingException.invalidArgument("this node keeps no durable subscriptions");
        }

        @Override
        public Subscription commit(String vchannel, String name, Checkpoint position, Instant at) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "subscription " + name + " of " + vchannel
                    + " does not exist (this node keeps no durable subscriptions)");
        }

        @Override
        public boolean delete(String vchannel, String name) {
            return false;
        }
    };
}
