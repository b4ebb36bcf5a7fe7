package io.tidelog.coord;

import io.tidelog.common.Names;
import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Configuration of the streaming coordinator; each key beside its default, validated once.
 *
 * @param pchannelPrefix        {@code coord.pchannel.prefix} (pchannel): pchannels are named {@code <prefix>-<n>}
 * @param pchannelCount         {@code coord.pchannel.count} (16): how many pchannels the cluster has; fixed
 *                              for the life of the data
 * @param assignRetryMaxBackoff {@code coord.assign.retry.max.backoff} (5s): a failed assign is retried from its
 *                              persisted record after pauses doubling from 100 ms up to this
 * @param assignAttemptsPerNode {@code coord.assign.attempts.per.node} (3): failed assigns in a row on one node
 *                              after which the pchannel goes to another live node (if there is one) at a new term
 * @param removeTimeout         {@code coord.remove.timeout} (2s): how long an assignment waits for the previous
 *                              owner to let go gracefully before the new owner opens anyway (which fences it)
 * @param balanceInterval       {@code coord.balance.interval} (1s): at most one pchannel moves per interval to
 *                              even the load of the live nodes (failover and drain are not rate limited)
 * @param healthInterval        {@code coord.node.health.interval} (200ms): how often each node sends the leader a
 *                              heartbeat
 * @param healthTimeout         {@code coord.node.health.timeout} (1s): a node whose heartbeats stop for this long
 *                              is down, its pchannels move at once (its session lease would take session.ttl)
 */
public record CoordConfig(String pchannelPrefix, int pchannelCount, Duration assignRetryMaxBackoff,
                          int assignAttemptsPerNode, Duration removeTimeout, Duration balanceInterval,
                          Duration healthInterval, Duration healthTimeout) {
    public static final String PREFIX = "coord.";
    public static final String PCHANNEL_PREFIX = PREFIX + "pchannel.prefix";
    public static final String PCHANNEL_COUNT = PREFIX + "pchannel.count";
    public static final String ASSIGN_RETRY_MAX_BACKOFF = PREFIX + "assign.retry.max.backoff";
    public static final String ASSIGN_ATTEMPTS_PER_NODE = PREFIX + "assign.attempts.per.node";
    public static final String REMOVE_TIMEOUT = PREFIX + "remove.timeout";
    public static final String BALANCE_INTERVAL = PREFIX + "balance.interval";
    public static final String HEALTH_INTERVAL = PREFIX + "node.health.interval";
    public static final String HEALTH_TIMEOUT = PREFIX + "node.health.timeout";

    public CoordConfig {
        if (pchannelPrefix.contains("_")) {
            throw StreamingException.invalidArgument(PCHANNEL_PREFIX + " may not contain '_': " + pchannelPrefix);
        }
        Names.validatePchannel(pchannelPrefix + "-" + (pchannelCount - 1));
        if (healthTimeout.compareTo(healthInterval.multipliedBy(2)) < 0) {
            throw StreamingException.invalidArgument(HEALTH_TIMEOUT + " (" + healthTimeout + ") must be at least twice "
                    + HEALTH_INTERVAL + " (" + healthInterval + "): one late heartbeat must not make a node down");
        }
    }

    public static CoordConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        CoordConfig c = new CoordConfig(s.string(PCHANNEL_PREFIX, "pchannel"), s.integer(PCHANNEL_COUNT, 16, 1, 4096),
                s.duration(ASSIGN_RETRY_MAX_BACKOFF, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(10)),
                s.integer(ASSIGN_ATTEMPTS_PER_NODE, 3, 1, 1000),
                s.duration(REMOVE_TIMEOUT, Duration.ofSeconds(2), Duration.ZERO, Duration.ofMinutes(10)),
                s.duration(BALANCE_INTERVAL, Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofHours(1)),
                s.duration(HEALTH_INTERVAL, Duration.ofMillis(200), Duration.ofMillis(10), Duration.ofSeconds(10)),
                s.duration(HEALTH_TIMEOUT, Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofMinutes(1)));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** {@code <prefix>-0} to {@code <prefix>-<count-1>}. */
    public List<String> pchannels() {
        List<String> out = new ArrayList<>(pchannelCount);
        for (int i = 0; i < pchannelCount; i++) {
            out.add(pchannelPrefix + "-" + i);
        }
        return out;
    }
}
