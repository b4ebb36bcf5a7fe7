package io.tidelog.session;

import io.tidelog.common.Backoff;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Range;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live view of the sessions of one role ({@code session/<role>/}): which members are up, with their session ids
 * and info. The coordinator watches the nodes with it.
 *
 * <p><b>Ordering.</b> {@link #watch} reads the role's keys at one revision R and watches them from R + 1: no change
 * is missed and none is seen twice. The listener hears every change in revision order: first the members the read
 * found, as joined, then each join, leave and replacement as the store made it. If the watch ends (the store
 * compacted the history it needed, {@code OUT_OF_RANGE}, or any other watch error), the view reads the keys again and
 * watches from that read: the listener then hears the difference between what it knew and what the read found
 * (leaves, replacements, joins, in id order, at the read's revision), so it converges on the store's state, though
 * a member that came and went meanwhile is not heard of.
 *
 * <p><b>Threads.</b> The view owns one thread: it applies changes to {@link #current()} and calls the listener, one
 * call at a time; the store's watch dispatcher only hands events over. {@link #current()} may be read from any
 * thread; during a listener call it already includes the change being reported (and the first read's members are
 * in it when {@link #watch} returns, before the listener heard of them).
 *
 * <p><b>Store failures.</b> The first read and watch are made by {@link #watch}, which throws what they throw. Later
 * reads that fail are retried with backoff (100 ms doubling up to 5 s) until they succeed or the view is closed;
 * meanwhile {@link #current()} stays as last known. Close the view before the store.
 */
public final class Members implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Members.class);

    private final MetaStore store;
    private final String role;
    private final String prefix;
    private final MembersListener listener;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    private final Thread thread;

    /** Thread-owned after the first read: the members by id, and the revision they reflect. */
    private final TreeMap<String, SessionInfo> view = new TreeMap<>();
    private long revision;
    private Watch watch;
    private int generation;

    private volatile Map<String, SessionInfo> published = Map.of();
    private volatile long publishedRevision;
    private volatile boolean closed;

    private sealed interface Item permits Events, Broken, Announce, Stop {
    }

    private record Events(int generation, List<WatchEvent> events) implements Item {
    }

    private record Broken(int generation, StreamingException error) implements Item {
    }

    private record Announce(List<SessionInfo> joined) implements Item {
    }

    private record Stop() implements Item {
    }

    private Members(MetaStore store, String role, MembersListener listener) {
        this.store = store;
        this.role = role;
        this.prefix = Records.rolePrefix(role);
        this.listener = listener;
        this.thread = new Thread(this::run, "tidelog-members-" + role);
        this.thread.setDaemon(true);
    }

    /**
     * Reads the sessions of {@code role} and watches them; the listener first hears the members read, as joined.
     * Throws what the read or the watch throws.
     */
    public static Members watch(MetaStore store, String role, MembersListener listener) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(listener, "listener");
        Members m = new Members(store, role, listener);
        Range first = store.range(m.prefix, 0);
        for (KeyValue kv : first.keyValues()) {
            SessionInfo s = m.decode(kv);
            if (s != null) {
                m.view.put(s.id(), s);
            }
        }
        m.revision = first.revision();
        m.publish();
        // announced before any event of the watch can be queued
        m.queue.add(new Announce(List.copyOf(m.view.values())));
        m.openWatch();
        m.thread.start();
        return m;
    }

    public String role() {
        return role;
    }

    /** The members by id, as of {@link #revision()}; an immutable snapshot. */
    public Map<String, SessionInfo> current() {
        return published;
    }

    /** The store revision {@link #current()} reflects. */
    public long revision() {
        return publishedRevision;
    }

    /**
     * Stops watching; when this returns (from another thread than the listener's), no listener call is in progress
     * and none follows. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        queue.add(new Stop());
        if (Thread.currentThread() != thread) {
            Threads.joinUninterruptibly(thread);
        }
    }

    @Override
    public String toString() {
        return "Members[" + role + ", " + published.keySet() + " at revision " + publishedRevision + "]";
    }

    // ---------------------------------------------------------------- the view's thread

    private void run() {
        try {
            while (!closed) {
                Item item = queue.take();
                if (item instanceof Stop) {
                    break;
                } else if (item instanceof Announce a) {
                    a.joined().forEach(s -> call(() -> listener.onJoined(s)));
                } else if (item instanceof Events e && e.generation() == generation) {
                    apply(e.events());
                } else if (item instanceof Broken b && b.generation() == generation) {
                    LOG.info("members of {}: the watch ended ({}); reading the sessions again", role,
                            b.error().getMessage());
                    resync();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Watch w = watch;
            if (w != null) {
                w.close();
            }
        }
    }

    private void apply(List<WatchEvent> events) {
        for (WatchEvent e : events) {
            String id = Records.idOf(prefix, e.key());
            if (e.revision() <= revision || id == null) {
                continue;
            }
            revision = e.revision();
            if (e.type() == WatchEvent.Type.DELETE) {
                SessionInfo gone = view.remove(id);
                publish();
                if (gone != null) {
                    call(() -> listener.onLeft(gone, e.revision()));
                }
                continue;
            }
            SessionInfo now = decode(e.keyValue());
            if (now == null) {
                publish();
                continue;
            }
            SessionInfo before = view.put(id, now);
            publish();
            if (before == null) {
                call(() -> listener.onJoined(now));
            } else if (before.sessionId() != now.sessionId()) {
                call(() -> listener.onReplaced(before, now));
            }
        }
    }

    /** Reads the role's sessions again (retrying with backoff), reports the difference, and watches from the read. */
    private void resync() throws InterruptedException {
        Watch old = watch;
        if (old != null) {
            old.close();
        }
        generation++;
        while (!closed) {
            try {
                Range r = store.range(prefix, 0);
                TreeMap<String, SessionInfo> read = new TreeMap<>();
                for (KeyValue kv : r.keyValues()) {
                    SessionInfo s = decode(kv);
                    if (s != null) {
                        read.put(s.id(), s);
                    }
                }
                revision = r.revision();
                reportDifference(read, r.revision());
                openWatch();
                backoff.reset();
                return;
            } catch (StreamingException e) {
                long pause = backoff.nextNanos();
                LOG.warn("members of {}: reading the sessions again failed ({}); retrying in {} ms", role,
                        e.getMessage(), pause / 1_000_000);
                Item item = queue.poll(pause, TimeUnit.NANOSECONDS);
                if (item instanceof Stop) {
                    closed = true;
                }
            }
        }
    }

    private void reportDifference(TreeMap<String, SessionInfo> read, long readRevision) {
        TreeSet<String> ids = new TreeSet<>(view.keySet());
        ids.addAll(read.keySet());
        for (String id : ids) {
            SessionInfo before = view.get(id);
            SessionInfo now = read.get(id);
            if (now == null) {
                view.remove(id);
                publish();
                call(() -> listener.onLeft(before, readRevision));
            } else {
                view.put(id, now);
                publish();
                if (before == null) {
                    call(() -> listener.onJoined(now));
                } else if (before.sessionId() != now.sessionId()) {
                    call(() -> listener.onReplaced(before, now));
                }
            }
        }
        publish();
    }

    private void openWatch() {
        int gen = generation;
        watch = store.watch(prefix, revision + 1, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                queue.add(new Events(gen, List.copyOf(events)));
            }

            @Override
            public void onError(StreamingException error) {
                queue.add(new Broken(gen, error));
            }
        });
    }

    private SessionInfo decode(KeyValue kv) {
        if (Records.idOf(prefix, kv.key()) == null) {
            return null;
        }
        try {
            return Records.sessionInfo(kv);
        } catch (StreamingException e) {
            LOG.warn("members of {}: ignoring {}", role, e.getMessage());
            return null;
        }
    }

    private void publish() {
        published = Collections.unmodifiableMap(new TreeMap<>(view));
        publishedRevision = revision;
    }

    private void call(Runnable listenerCall) {
        try {
            listenerCall.run();
        } catch (Throwable t) {
            LOG.error("a members listener of {} threw", role, t);
        }
    }
}
