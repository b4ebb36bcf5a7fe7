package io.tidelog.server;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.AllocateTimestampsResponse;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.tso.TimestampOracle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streaming node's timestamps in a cluster: taken from the leader coordinator's TSO ({@code AllocateTimestamps})
 * in batches of {@code batch}. A batch older than {@code maxAge} is replaced if the leader answers within
 * {@value #REFRESH_MILLIS} ms, and used on if not (while the coordinators elect a new leader, appends go on with
 * the timestamps held); a batch used up, or given up by {@link #sync()}, must be replaced, trying for up to
 * {@code timeout}.
 *
 * <p>Which coordinator: the last one that answered; on {@code NOT_LEADER} the leader it names; otherwise each of
 * {@code coordinators} in turn, backing off once per round, until {@code timeout} has passed, then {@code TIMEOUT}.
 * Each call has a deadline of its own, a fraction of the whole, so one unreachable coordinator does not use it up.
 *
 * <p>Why batches are safe: timestamps from one batch are unique and increasing, and every batch is above the
 * previous ones of this allocator. Another node's batch may be above this one's (so two nodes' time ticks
 * interleave), which matters only where a pchannel changes hands: the new owner calls {@link #sync()} before its first
 * time tick, and the next batch, taken after the old owner was fenced, is above everything the old owner had.
 *
 * <p>Thread-safe; a call that must take a batch holds the others (they need the same batch) until it has one.
 * {@link #tryAllocate} never waits: it issues from the batch held if that needs neither a refresh nor a new batch.
 */
final class CoordinatorTso implements TimestampAllocator {
    private static final Duration MIN_BACKOFF = Duration.ofMillis(20);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(500);
    /** How long a refresh of a batch that is only old (not used up) may try before the held one is used on. */
    static final long REFRESH_MILLIS = 250;
    static final Duration REFRESH_TIMEOUT = Duration.ofMillis(REFRESH_MILLIS);
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorTso.class);

    private final Supplier<List<String>> coordinators;
    private final Function<String, Channel> channels;
    private final int batch;
    private final long maxAgeNanos;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    /** Under lock. */
    private String leader;
    private long next;
    private long remaining;
    private long takenAtNanos;
    private long nextRefreshNanos;

    /**
     * @param coordinators the coordinators' addresses as known now (e.g. their sessions in the meta store)
     * @param channels     a channel to a coordinator address, owned by the caller
     */
    CoordinatorTso(Supplier<List<String>> coordinators, Function<String, Channel> channels, int batch, Duration maxAge,
                   Duration timeout) {
        if (batch < 1 || batch > TimestampOracle.MAX_BATCH) {
            throw new IllegalArgumentException("batch " + batch);
        }
        this.coordinators = coordinators;
        this.channels = channels;
        this.batch = batch;
        this.maxAgeNanos = maxAge.toNanos();
        this.timeout = timeout;
    }

    @Override
    public long allocate(int count) {
        checkCount(count);
        lock.lock();
        try {
            long now = System.nanoTime();
            if (remaining < count) {
                take(Math.max(batch, count), timeout);
            } else if (refreshDue(now)) {
                // Fresher timestamps if the leader answers at once; if not (no leader for a moment), the batch held
                // is as good for order and uniqueness: appends go on and time ticks stand still until one answers.
                try {
                    take(Math.max(batch, count), REFRESH_TIMEOUT);
                } catch (StreamingException e) {
                    nextRefreshNanos = now + Math.max(maxAgeNanos, REFRESH_TIMEOUT.toNanos());
                    LOG.debug("no fresher timestamps now ({}); using those held", e.getMessage());
                }
            }
            return issue(count);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long tryAllocate(int count) {
        checkCount(count);
        if (!lock.tryLock()) {
            return 0;
        }
        try {
            return remaining < count || refreshDue(System.nanoTime()) ? 0 : issue(count);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sync() {
        lock.lock();
        try {
            remaining = 0;
        } finally {
            lock.unlock();
        }
    }

    private static void checkCount(int count) {
        if (count < 1 || count > TimestampOracle.MAX_BATCH) {
            throw StreamingException.invalidArgument("can allocate 1 to " + TimestampOracle.MAX_BATCH
                    + " timestamps, not " + count);
        }
    }

    /** Under lock. */
    private boolean refreshDue(long now) {
        return now - takenAtNanos > maxAgeNanos && now >= nextRefreshNanos;
    }

    /** Under lock, with at least {@code count} held. */
    private long issue(int count) {
        long first = next;
        next += count;
        remaining -= count;
        return first;
    }

    private void take(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long perCall = Math.max(TimeUnit.MILLISECONDS.toNanos(200), timeout.toNanos() / 4);
        Duration backoff = MIN_BACKOFF;
        List<String> round = new ArrayList<>();
        StreamingException last = null;
        int hops = 0;
        while (true) {
            String target = leader;
            if (target == null) {
                if (round.isEmpty()) {
                    round.addAll(coordinators.get());
                }
                target = round.isEmpty() ? null : round.remove(0);
            }
            if (target != null) {
                try {
                    long left = deadline - System.nanoTime();
                    AllocateTimestampsResponse r = CoordinatorGrpc.newBlockingStub(channels.apply(target))
                            .withDeadlineAfter(Math.max(1, Math.min(perCall, left)), TimeUnit.NANOSECONDS)
                            .allocateTimestamps(AllocateTimestampsRequest.newBuilder().setCount(count).build());
                    leader = target;
                    next = r.getFirst();
                    remaining = r.getCount();
                    takenAtNanos = System.nanoTime();
                    return;
                } catch (StatusRuntimeException e) {
                    last = GrpcErrors.fromThrowable(e, "coordinator " + target);
                    if (last.code() == ErrorCode.INVALID_ARGUMENT) {
                        throw last;
                    }
                    String from = target;
                    Optional<String> hint = GrpcErrors.leaderHint(e).filter(h -> !h.equals(from));
                    leader = hint.orElse(null);
                    if (leader != null && hops++ < 3) {
                        continue; // the hinted leader at once (a few hops: standbys may name each other for a moment)
                    }
                    leader = null;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new StreamingException(ErrorCode.TIMEOUT, "no leading coordinator gave timestamps within "
                        + timeout + (target == null ? " (no coordinator is registered)" : "")
                        + (last == null ? "" : "; the last answer: " + last.getMessage()));
            }
            if (round.isEmpty()) {
                // a full round without a leader: wait a little before the next
                hops = 0;
                try {
                    Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, backoff.toMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw StreamingException.onShutdown("interrupted while taking timestamps");
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }
}
