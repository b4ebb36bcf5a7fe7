package io.tidelog.client;

import java.util.List;
import java.util.function.Predicate;

/**
 * The appends sent on one produce stream and not yet answered, by request id, with their count and bytes.
 *
 * <p>A stream's request ids are consecutive (the producer numbers every append it sends on the stream, in the
 * order it sends them), so the appends sit in a ring indexed by {@code requestId - oldestId}: finding, removing
 * and completing runs of them take no hashing and no allocation. An answered or expired append leaves an empty
 * slot; the ring's head skips empty slots, so {@link #oldest()} is the unanswered append sent first, which is
 * also the one accepted first and due first (appends are sent in acceptance order, and every append of a
 * producer has the same timeout).
 *
 * <pre>
 *   slots:  [ . . a7 .  a9 a10 . . ]      oldestId = 7, span = 4 (ids 7..10), count = 3
 *                 ^head
 * </pre>
 *
 * <p>The span is the ids from the oldest unanswered to the last sent; one append left unanswered while later
 * ones are answered stretches it, up to the appends sent within its timeout. Not thread-safe: guarded by the
 * producer's lock.
 */
final class InFlightAppends {
    private static final int INITIAL_SLOTS = 64;
    /** A ring emptied at this size or larger is given back for a small one. */
    private static final int SHRINK_SLOTS = 1 << 16;

    private PendingAppend[] slots = new PendingAppend[INITIAL_SLOTS];
    /** Index of the slot of {@link #oldestId}. */
    private int head;
    private long oldestId;
    /** Ids covered from {@link #oldestId}, answered or not. */
    private int span;
    private int count;
    /** Bytes of the unanswered appends. */
    long bytes;

    /**
     * Adds an append just sent; its request id must follow the last one added (or anything, if none is in flight).
     *
     * @throws IllegalStateException if it does not
     */
    void add(PendingAppend a) {
        if (count == 0) {
            head = 0;
            span = 0;
            oldestId = a.requestId;
        } else if (a.requestId != oldestId + span) {
            throw new IllegalStateException("request " + a.requestId + " sent after " + (oldestId + span - 1));
        }
        if (span == slots.length) {
            grow();
        }
        slots[(head + span) & (slots.length - 1)] = a;
        span++;
        count++;
        bytes += a.bytes;
    }

    /** The unanswered append of request {@code requestId}, removed; {@code null} if there is none. */
    PendingAppend remove(long requestId) {
        long offset = requestId - oldestId;
        if (count == 0 || offset < 0 || offset >= span) {
            return null;
        }
        int i = (int) ((head + offset) & (slots.length - 1));
        PendingAppend a = slots[i];
        if (a == null) {
            return null;
        }
        slots[i] = null;
        count--;
        bytes -= a.bytes;
        if (offset == 0) {
            skipAnswered();
        }
        return a;
    }

    /** The unanswered append sent first, or {@code null}. */
    PendingAppend oldest() {
        return count == 0 ? null : slots[head];
    }

    /** Moves every unanswered append into {@code out}, in request order, and empties the ring. */
    void drainTo(List<PendingAppend> out) {
        for (int k = 0; k < span && count > 0; k++) {
            int i = (head + k) & (slots.length - 1);
            PendingAppend a = slots[i];
            if (a != null) {
                slots[i] = null;
                out.add(a);
                count--;
            }
        }
        clear();
    }

    /** Whether every unanswered append satisfies {@code test}. */
    boolean all(Predicate<PendingAppend> test) {
        for (int k = 0; k < span; k++) {
            PendingAppend a = slots[(head + k) & (slots.length - 1)];
            if (a != null && !test.test(a)) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    private void skipAnswered() {
        if (count == 0) {
            clear();
            return;
        }
        int mask = slots.length - 1;
        while (slots[head] == null) {
            head = (head + 1) & mask;
            oldestId++;
            span--;
        }
    }

    /** Resets the indexes of a ring whose slots are all empty. */
    private void clear() {
        if (slots.length >= SHRINK_SLOTS) {
            slots = new PendingAppend[INITIAL_SLOTS];
        }
        head = 0;
        span = 0;
        count = 0;
        bytes = 0;
    }

    private void grow() {
        PendingAppend[] bigger = new PendingAppend[slots.length * 2];
        for (int k = 0; k < span; k++) {
            bigger[k] = slots[(head + k) & (slots.length - 1)];
        }
        slots = bigger;
        head = 0;
    }
}
