package io.tidelog.node.retention;

import java.time.InstantSource;
import java.util.Objects;

/**
 * What decides how long a node's WALs keep their messages: the retention settings, the durable subscriptions,
 * and the clock retention by time is judged by. One per node, shared by its pchannels (see {@link RetentionConfig}
 * for the rule).
 */
public record Retention(RetentionConfig config, SubscriptionStore subscriptions, InstantSource clock) {

    public Retention {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(subscriptions, "subscriptions");
        Objects.requireNonNull(clock, "clock");
    }

    /** Truncation right below the checkpoint, no subscriptions: for nodes that keep only what recovery needs. */
    public static Retention untilCheckpoint() {
        return new Retention(RetentionConfig.untilCheckpoint(), SubscriptionStore.NONE, InstantSource.system());
    }
}
