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
 * retention pass. A subscription is not fenced by term but by its consumers' claims: a commit carries the
 * generation its consumer claimed, and one of an older generation fails ({@link Subscription#committed}); the
 * check and the write are one atomic step of the store.
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
     * Claims a subscription for a consumer: its generation goes up by one, atomically; returns it.
     *
     * @throws io.tidelog.common.StreamingException {@code NOT_FOUND} if it does not exist (deleted)
     */
    Subscription claim(String vchannel, String name);

    /**
     * Moves a subscription's committed position, for the consumer that claimed generation {@code claim} (0: any).
     *
     * @throws io.tidelog.common.StreamingException {@code NOT_FOUND} if it does not exist (deleted);
     *         {@code SUBSCRIPTION_TAKEN_OVER} if a newer consumer claimed it
     */
    Subscription commit(String vchannel, String name, Checkpoint position, Instant at, long claim);

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
        public Subscription claim(String vchannel, String name) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "subscription " + name + " of " + vchannel
                    + " does not exist (this node keeps no durable subscriptions)");
        }

        @Override
        public Subscription commit(String vchannel, String name, Checkpoint position, Instant at, long claim) {
            return claim(vchannel, name);
        }

        @Override
        public boolean delete(String vchannel, String name) {
            return false;
        }
    };
}
