package io.tidelog.session;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/** A session listener that records each loss: the reason, the instant by a clock, and the thread. */
final class LostRecorder implements SessionListener {
    private final InstantSource clock;
    private final List<String> reasons = new ArrayList<>();
    private Instant lostAt;
    private Thread thread;

    LostRecorder(InstantSource clock) {
        this.clock = clock;
    }

    LostRecorder() {
        this(Session.monotonicClock());
    }

    @Override
    public synchronized void onLost(Session session, String reason) {
        if (lostAt == null) {
            lostAt = clock.instant();
            thread = Thread.currentThread();
        }
        reasons.add(reason);
    }

    synchronized List<String> reasons() {
        return List.copyOf(reasons);
    }

    synchronized boolean lost() {
        return !reasons.isEmpty();
    }

    synchronized Instant lostAt() {
        return lostAt;
    }

    synchronized Thread thread() {
        return thread;
    }
}
