package io.tidelog.client;

import java.util.List;
import java.util.Optional;

/**
 * The coordinators a client was given and the one it takes for the leader: every coordinator-bound call (the
 * assignment watch, status, reports, the collection catalog) goes to {@link #leader()}. One leader serves; the
 * others are standbys that refuse with {@code NOT_LEADER}, naming the leader when they know it.
 *
 * <pre>
 *   leader = addresses[0]
 *   answered(a)                   leader = a            (a call or watch on a succeeded)
 *   failed(a, hint h)             leader = h            (NOT_LEADER naming h; h need not be in the list)
 *   failed(a = leader, no hint)   leader = next in the list after the last list address taken, round robin
 *   failed(a != leader, no hint)  unchanged             (another call moved on already)
 * </pre>
 *
 * Callers own the pacing: each counts its consecutive failures and backs off once per {@link #size()} of them
 * (a full round), so neither a list of standbys nor standbys pointing at each other makes a hot loop. With one
 * address (standalone) nothing moves unless a hint names another.
 *
 * <p>Thread-safe: shared by every call of one client.
 */
final class Coordinators {
    private final List<String> addresses;
    private String leader;
    /** The index in {@link #addresses} of the last list address taken for the leader. */
    private int cursor;

    /** @param addresses normalised {@code host:port}s, at least one, no duplicates */
    Coordinators(List<String> addresses) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no coordinator address");
        }
        this.addresses = List.copyOf(addresses);
        this.leader = addresses.get(0);
    }

    /** How many addresses the client was given: the length of a round. */
    int size() {
        return addresses.size();
    }

    /** Where coordinator-bound calls go now. */
    synchronized String leader() {
        return leader;
    }

    /** {@code address} answered as the leader. */
    synchronized void answered(String address) {
        leader = address;
        int i = addresses.indexOf(address);
        if (i >= 0) {
            cursor = i;
        }
    }

    /**
     * A call to {@code address} failed because it is no leader or cannot be reached; {@code hint} is the leader
     * its {@code NOT_LEADER} named, if any.
     *
     * @return where to try next
     */
    synchronized String failed(String address, Optional<String> hint) {
        if (hint.isPresent() && !hint.get().equals(address)) {
            leader = hint.get();
        } else if (address.equals(leader)) {
            cursor = (cursor + 1) % addresses.size();
            leader = addresses.get(cursor);
        }
        return leader;
    }

    /** The addresses as given, comma-separated: how messages name the cluster. */
    @Override
    public String toString() {
        return String.join(",", addresses);
    }
}
