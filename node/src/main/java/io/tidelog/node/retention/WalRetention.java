package io.tidelog.node.retention;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.state.proto.RetentionIndexProto;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long one pchannel's WAL keeps its messages, and its durable subscriptions: decides where the log may
 * be truncated and truncates it.
 *
 * <p><b>The rule</b> ({@link RetentionConfig}): truncate only below the smallest of the recovery checkpoint,
 * the retention bound (the later of the time and bytes bounds, found in the {@link RetentionIndex}) and the
 * committed position of every subscription lagging by less than {@code wal.retention.max.lag}. A subscription
 * lagging more is let go: a warning once, and a counter.
 *
 * <p><b>Subscriptions</b> are created and committed here, under the same monitor as a retention pass, so a
 * position created or committed is never truncated by a pass that did not see it. A position is the resume
 * point of a consumer: read from its id, skip time ticks at or below its time tick.
 *
 * <p><b>Threads.</b> {@link #observe} by the WAL in log order (under its in-flight monitor; the index has its
 * own leaf lock). Everything else holds this object's monitor: retention passes on the node's checkpointing
 * thread, subscription calls on request threads. This monitor is taken before the WAL's in-flight monitor,
 * never after.
 *
 * <p>Created and driven by the pchannel's {@code StreamingWal} only; public for it alone.
 */
public final class WalRetention {
    private static final Logger LOG = LoggerFactory.getLogger(WalRetention.class);
    private static final Duration READ_WAIT = Duration.ofSeconds(5);

    /** What a truncation cut and which bound decided it. */
    record Truncation(MessageId below, String bound) {
    }

    /** A subscription returned by {@link #subscribe}, and whether that call created it. */
    public record Subscribed(Subscription subscription, boolean created) {
    }

    private final String pchannel;
    private final Wal wal;
    private final Retention settings;
    private final RetentionIndex index;
    /** Subscriptions let go (vchannel/name), to warn once each. Guarded by this. */
    private final Set<String> letGo = new HashSet<>();
    private volatile Checkpoint earliest;
    private volatile Truncation truncated;
    /** What keeps the log from being cut further, as of the last pass. */
    private volatile String holding;
    private volatile int subscriptions;
    private volatile long letGoTotal;

    public WalRetention(String pchannel, Wal wal, Retention settings) {
        this.pchannel = pchannel;
        this.wal = wal;
        this.settings = settings;
        this.index = RetentionIndex.forConfig(settings.config());
    }

    /** Records the next record of the log (in log order, also during replay). */
    public void observe(MessageId id, long timeTick, int bytes) {
        index.observe(id, timeTick, bytes);
    }

    public RetentionIndexProto snapshot() {
        return index.toProto();
    }

    public void restore(RetentionIndexProto saved) {
        index.restore(saved);
    }

    /** Called once the WAL serves: learns the earliest retained record. */
    public synchronized void opened() {
        refreshEarliest();
    }

    /**
     * Truncates the log below what retention allows, if that moved.
     *
     * @param checkpoint the last persisted recovery checkpoint (null: none yet, so nothing may go)
     */
    public synchronized Optional<Truncation> pass(Checkpoint checkpoint) {
        long now = settings.clock().millis();
        MessageId heldBy = null;
        String holder = null;
        List<Subscription> subs = settings.subscriptions().list(pchannel);
        subscriptions = subs.size();
        Set<String> current = new HashSet<>();
        for (Subscription s : subs) {
            current.add(s.vchannel() + "/" + s.name());
        }
        letGo.retainAll(current);
        for (Subscription s : subs) {
            String key = s.vchannel() + "/" + s.name();
            long lagMillis = now - HybridTimestamps.physicalMillis(s.position().timeTick());
            if (lagMillis > settings.config().maxLag().toMillis()) {
                if (letGo.add(key)) {
                    letGoTotal++;
                    LOG.warn("pchannel {}: subscription {} of {} lags by {} s, beyond {} = {}: it no longer holds the WAL, "
                            + "which may be truncated past its position {}", pchannel, s.name(), s.vchannel(), lagMillis / 1000,
                            RetentionConfig.MAX_LAG, settings.config().maxLag(), s.position());
                }
                continue;
            }
            letGo.remove(key);
            if (heldBy == null || s.position().messageId().compareTo(heldBy) < 0) {
                heldBy = s.position().messageId();
                holder = "subscription " + s.name() + " of " + s.vchannel();
            }
        }
        RetentionIndex.Floors floors = index.floors(now, settings.config());
        MessageId retentionFloor = floors.later();
        if (checkpoint == null) {
            holding = "checkpoint";
            return Optional.empty();
        }
        if (retentionFloor == null) {
            holding = RetentionConfig.TIME;
            return Optional.empty();
        }
        MessageId below = checkpoint.messageId();
        String bound = "checkpoint";
        if (retentionFloor.compareTo(below) < 0) {
            below = retentionFloor;
            bound = retentionFloor.equals(floors.byBytes()) ? RetentionConfig.BYTES : RetentionConfig.TIME;
        }
        if (heldBy != null && heldBy.compareTo(below) < 0) {
            below = heldBy;
            bound = holder;
        }
        holding = bound;
        Truncation last = truncated;
        if (last != null && below.compareTo(last.below()) <= 0) {
            return Optional.empty();
        }
        wal.truncate(below);
        Truncation t = new Truncation(below, bound);
        truncated = t;
        refreshEarliest();
        Checkpoint first = earliest;
        if (first != null) {
            index.retainFrom(first.messageId());
        }
        LOG.debug("pchannel {}: truncated below {} ({}); earliest retained {}", pchannel, below, bound, first);
        return Optional.of(t);
    }

    private void refreshEarliest() {
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            LogRecord r = s.poll(READ_WAIT);
            earliest = r == null ? null : new Checkpoint(r.id(), ImmutableMessage.decode(r.id(), r.payload()).timeTick());
        } catch (StreamingException e) {
            LOG.warn("pchannel {}: cannot read its earliest retained record: {}", pchannel, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The subscription {@code name} of {@code vchannel}, created at {@code start} if it does not exist, and claimed
     * by a consumer if {@code claim} (see {@link Subscription#generation()}).
     *
     * @param latest where the log ends now: the last confirmed id and the last time tick (for a start at LATEST)
     * @throws StreamingException {@code OUT_OF_RANGE} for a start below the retained log
     */
    public synchronized Subscribed subscribe(String vchannel, String name, DeliverPolicy start, Checkpoint latest,
                                             boolean claim) {
        Optional<Subscription> existing = settings.subscriptions().get(vchannel, name);
        if (existing.isPresent()) {
            return new Subscribed(claim ? settings.subscriptions().claim(vchannel, name) : existing.get(), false);
        }
        Checkpoint at = resolve(start, latest);
        Instant now = settings.clock().instant();
        Subscription stored = settings.subscriptions().createIfAbsent(
                new Subscription(vchannel, name, at, now, now, claim ? 1 : 0));
        boolean created = stored.createdAt().equals(now) && stored.position().equals(at);
        if (!created && claim) {
            stored = settings.subscriptions().claim(vchannel, name); // created by a racing call meanwhile
        }
        if (created) {
            LOG.info("pchannel {}: subscription {} of {} created at {}", pchannel, name, vchannel, at);
        }
        return new Subscribed(stored, created);
    }

    /** The resume point of a reader starting at {@code start}: read from its id, skip time ticks up to its tick. */
    private Checkpoint resolve(DeliverPolicy start, Checkpoint latest) {
        if (start instanceof DeliverPolicy.Latest) {
            return latest;
        }
        MessageId from = start instanceof DeliverPolicy.StartFrom f ? f.id()
                : start instanceof DeliverPolicy.StartAfter a ? a.id() : null;
        try (WalScanner s = wal.read(from == null ? DeliverPolicy.all() : DeliverPolicy.startFrom(from))) {
            LogRecord r = s.poll(READ_WAIT);
            if (r == null) {
                return latest;
            }
            long tt = ImmutableMessage.decode(r.id(), r.payload()).timeTick();
            boolean skipIt = start instanceof DeliverPolicy.StartAfter && r.id().equals(from);
            return new Checkpoint(r.id(), skipIt ? tt : tt - 1);
        } catch (StreamingException e) {
            throw explain(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while reading pchannel " + pchannel);
        }
    }

    /**
     * Moves a subscription's committed position, for the consumer that claimed generation {@code claim} (0: any).
     *
     * @param latest where the log ends now (a position beyond it is refused)
     * @throws StreamingException {@code NOT_FOUND} for a deleted subscription; {@code OUT_OF_RANGE} for a position
     *         below the retained log; {@code INVALID_ARGUMENT} for one beyond its end; {@code SUBSCRIPTION_TAKEN_OVER}
     *         if a newer consumer claimed it
     */
    public synchronized Subscription commit(String vchannel, String name, Checkpoint position, Checkpoint latest,
                                            long claim) {
        Checkpoint first = earliest;
        if (first != null && position.messageId().compareTo(first.messageId()) < 0) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "subscription " + name + " of " + vchannel
                    + ": position " + position + " lies below the retained log of " + pchannel + describeEarliest());
        }
        if (position.messageId().compareTo(latest.messageId()) > 0) {
            throw StreamingException.invalidArgument("subscription " + name + " of " + vchannel + ": position "
                    + position + " lies beyond the end of " + pchannel + " (" + latest.messageId() + ")");
        }
        return settings.subscriptions().commit(vchannel, name, position, settings.clock().instant(), claim);
    }

    /** Whether {@code s} lags beyond {@code wal.retention.max.lag} now. */
    public boolean isLetGo(Subscription s) {
        long lag = settings.clock().millis() - HybridTimestamps.physicalMillis(s.position().timeTick());
        return lag > settings.config().maxLag().toMillis();
    }

    /** {@code e} with the earliest retained position named, if it is an {@code OUT_OF_RANGE}. */
    public StreamingException explain(StreamingException e) {
        if (e.code() != ErrorCode.OUT_OF_RANGE) {
            return e;
        }
        return new StreamingException(ErrorCode.OUT_OF_RANGE, e.detail() + describeEarliest(), e);
    }

    private String describeEarliest() {
        Checkpoint first = earliest;
        if (first == null) {
            return "";
        }
        return "; the earliest retained message is " + first.messageId() + " (time tick "
                + Long.toUnsignedString(first.timeTick()) + ", "
                + Instant.ofEpochMilli(HybridTimestamps.physicalMillis(first.timeTick())) + ")";
    }

    /** The earliest record the log retains (its id and time tick), or null if unknown. */
    public Checkpoint earliest() {
        return earliest;
    }

    public RetentionStatus status() {
        Truncation t = truncated;
        return new RetentionStatus(earliest, t == null ? null : t.below(), holding, subscriptions, letGoTotal);
    }
}
