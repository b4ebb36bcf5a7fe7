package io.tidelog.server;

import io.tidelog.node.WalStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Whether a process is ready to serve, for {@code /readyz}: it has been told it serves ({@link #serving(boolean)}:
 * started, not closing), its meta store answers a read, and every pchannel it owns has its WAL open and accepting
 * appends. Liveness ({@code /healthz}) is only that the HTTP thread answers. Thread-safe; each check runs on the
 * caller's thread.
 */
final class Readiness {
    /** How many unready pchannels a reason names; the rest are counted. */
    private static final int NAMED = 4;

    private final Runnable metaProbe;
    private final Supplier<String> membership;
    private final Supplier<List<String>> owned;
    private final Supplier<List<WalStatus>> wals;
    private volatile boolean serving;

    /**
     * @param metaProbe a read of the meta store (of a key that need not exist): returning proves the store reachable
     * @param owned     the pchannels this process should serve
     * @param wals      the WALs it serves now
     */
    Readiness(Runnable metaProbe, Supplier<List<String>> owned, Supplier<List<WalStatus>> wals) {
        this(metaProbe, () -> null, owned, wals);
    }

    /**
     * As above, for a member of a cluster, which is ready only while it holds a session in the meta store.
     *
     * @param membership why the process is not a member of the cluster now (no session: starting, or registering
     *                   again after a lost one), or null if it is; asked after the serving flag, before the meta store
     */
    Readiness(Runnable metaProbe, Supplier<String> membership, Supplier<List<String>> owned,
              Supplier<List<WalStatus>> wals) {
        this.metaProbe = metaProbe;
        this.membership = membership;
        this.owned = owned;
        this.wals = wals;
    }

    /** Whether the process serves (true once started, false from the start of its close). */
    void serving(boolean serving) {
        this.serving = serving;
    }

    /** 200 {@code ready}, or 503 with one line saying why not. */
    HttpEndpoints.Reply check() {
        String reason = whyNotReady();
        return reason == null ? HttpEndpoints.Reply.text(200, "ready\n") : HttpEndpoints.Reply.text(503, reason + "\n");
    }

    /** 200 {@code alive}: answered by a thread of the process, which is all liveness asks. */
    static HttpEndpoints.Reply alive() {
        return HttpEndpoints.Reply.text(200, "alive\n");
    }

    /** Why the process is not ready, or null if it is. */
    String whyNotReady() {
        if (!serving) {
            return "not serving: starting or shutting down";
        }
        String notMember = membership.get();
        if (notMember != null) {
            return notMember;
        }
        try {
            metaProbe.run();
        } catch (RuntimeException e) {
            return "meta store unreachable: " + e.getMessage();
        }
        Map<String, WalStatus> open = new HashMap<>();
        for (WalStatus s : wals.get()) {
            open.put(s.pchannel(), s);
        }
        List<String> unready = new ArrayList<>();
        for (String pchannel : owned.get()) {
            WalStatus s = open.get(pchannel);
            if (s == null) {
                unready.add(pchannel + " not open");
            } else if (!s.available()) {
                unready.add(pchannel + " unavailable (" + s.unavailableReason() + ")");
            }
        }
        if (unready.isEmpty()) {
            return null;
        }
        String named = String.join(", ", unready.subList(0, Math.min(NAMED, unready.size())));
        return unready.size() + " of " + owned.get().size() + " pchannels not ready: " + named
                + (unready.size() > NAMED ? " and " + (unready.size() - NAMED) + " more" : "");
    }
}
