package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A coordinator of the election tests: a session of role {@code coord} and its election, with what its listener
 * heard, in order.
 */
final class Candidate implements LeadershipListener, AutoCloseable {
    static final String KEY = "elect/leader";

    final String id;
    private final MetaStore store;
    private final SessionConfig config;
    private final List<String> heard = new ArrayList<>();
    private final List<Leadership> leaderships = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private Instant electedAt;
    private Instant deposedAt;
    private String deposedReason;
    volatile Session session;
    volatile LeaderElection election;
    volatile boolean resigned;

    Candidate(String id, MetaStore store, SessionConfig config) {
        this.id = id;
        this.store = store;
        this.config = config;
    }

    /** Registers a new session (a new life of this id) and campaigns with it. */
    Candidate start() {
        session = Session.register(store, config, "coord", id, info(), (s, reason) -> { });
        election = LeaderElection.campaign(session, KEY, info(), this);
        resigned = false;
        return this;
    }

    byte[] info() {
        return ("address-of-" + id).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether it leads and its listener has heard so. */
    boolean leads() {
        LeaderElection e = election;
        Optional<Leadership> l = e == null ? Optional.empty() : e.leadership();
        if (l.isEmpty() || !l.get().isActive()) {
            return false;
        }
        synchronized (this) {
            return !heard.isEmpty() && heard.get(heard.size() - 1).equals("elected " + l.get().epoch());
        }
    }

    void resign() {
        resigned = true;
        election.resign();
    }

    /** Whether it no longer campaigns: it resigned or its session ended. */
    boolean idle() {
        return election == null || resigned || !session.isAlive();
    }

    @Override
    public synchronized void onElected(Leadership leadership) {
        heard.add("elected " + leadership.epoch());
        leaderships.add(leadership);
        threads.add(Thread.currentThread());
        electedAt = Session.monotonicClock().instant();
    }

    @Override
    public synchronized void onDeposed(Leadership leadership, String reason) {
        heard.add("deposed " + leadership.epoch());
        threads.add(Thread.currentThread());
        deposedAt = Session.monotonicClock().instant();
        deposedReason = reason;
    }

    synchronized List<String> heard() {
        return List.copyOf(heard);
    }

    synchronized List<Leadership> leaderships() {
        return List.copyOf(leaderships);
    }

    synchronized Leadership lastLeadership() {
        return leaderships.get(leaderships.size() - 1);
    }

    synchronized Instant electedAt() {
        return electedAt;
    }

    synchronized Instant deposedAt() {
        return deposedAt;
    }

    synchronized String deposedReason() {
        return deposedReason;
    }

    synchronized boolean heardOnElectionThreads() {
        return threads.stream().allMatch(t -> t.getName().startsWith("tidelog-election-"));
    }

    /** Whether elected and deposed alternated, each deposition naming the epoch elected before it. */
    synchronized boolean alternated() {
        for (int i = 0; i < heard.size(); i++) {
            String expected = (i % 2 == 0 ? "elected " : "deposed ") + heard.get(i - i % 2).substring("elected ".length());
            if (!heard.get(i).equals(expected)) {
                return false;
            }
        }
        return true;
    }

    /** Closes the election and the session, if any. */
    void stop() {
        LeaderElection e = election;
        Session s = session;
        if (e != null) {
            e.close();
        }
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
