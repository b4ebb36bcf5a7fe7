package io.tidelog.client;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The time tick of the last write this client made on each vchannel, which a {@link Consistency#SESSION} query
 * waits for. Bounded: past {@value #MAX_VCHANNELS} vchannels it forgets them all and remembers the highest time
 * tick it has seen for every vchannel instead, which is still a correct guarantee (time ticks come from the one
 * timestamp oracle), only a stricter one. Thread-safe.
 */
final class SessionTimeTicks {
    static final int MAX_VCHANNELS = 100_000;

    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();
    private volatile long floor;

    /** A write on {@code vchannel} was acknowledged at {@code timeTick}. */
    void wrote(String vchannel, long timeTick) {
        if (last.size() >= MAX_VCHANNELS) {
            synchronized (this) {
                long max = floor;
                for (long t : last.values()) {
                    max = Math.max(max, t);
                }
                floor = Math.max(max, timeTick);
                last.clear();
            }
            return;
        }
        last.merge(vchannel, timeTick, Math::max);
    }

    /** The time tick a session read of {@code vchannel} must reflect (0 if this client never wrote there). */
    long lastWrite(String vchannel) {
        Long t = last.get(vchannel);
        return Math.max(floor, t == null ? 0 : t);
    }
}
