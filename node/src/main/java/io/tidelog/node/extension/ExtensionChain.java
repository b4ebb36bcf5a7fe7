package io.tidelog.node.extension;

import io.tidelog.node.WalExtension;
import io.tidelog.node.WalManager;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.shard.ShardManager;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.node.txn.TxnManager;
import io.tidelog.tso.TimestampAllocator;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The node's extensions of one pchannel's WAL, built in their one correct order: the only place that order is
 * written. Outermost first: an append passes them in this order on its way in, and each observes every
 * published message in this order.
 *
 * <ol>
 *   <li>{@link DedupWindow}: a recognised retry of an idempotent append returns its first outcome before anything
 *       else sees it, so a retry takes no lock, starts no transaction step and is checked against no state;</li>
 *   <li>the flush stage, if any (the flush module's extension): a {@code ManualFlush} waits there until its
 *       segments are in object storage, outside every lock below, so nothing waits for an upload;</li>
 *   <li>{@link VchannelLocks}: DDL of a vchannel is ordered with its DML before anything checks a message
 *       against the state;</li>
 *   <li>{@link TxnManager}: behind the locks, so a DDL reaches it only when no step of a transaction of its
 *       vchannel is in flight;</li>
 *   <li>{@link ShardManager}: checks DML against the collection state last, when nothing before it can still
 *       change or refuse the message;</li>
 *   <li>the query stage, if any (the delegator module's extension): it intercepts no append and only follows what
 *       the log makes visible, so it comes last and sees every message after the extensions that shape it.</li>
 * </ol>
 *
 * <p>One {@code ExtensionChain} serves a node: {@link #forPchannel} is the function a {@link WalManager} calls
 * each time it opens a pchannel. The parts every pchannel shares (the TSO, the budget of growing segments, the
 * thread of transaction continuations) are given once. Thread-safe: it holds only immutable configuration and
 * shared objects that are thread-safe themselves.
 */
public final class ExtensionChain {
    private final Shared shared;
    private final Function<String, ? extends WalExtension> flushStage;
    private final Function<String, ? extends WalExtension> queryStage;

    /**
     * What every pchannel's extensions share.
     *
     * @param continuations where work that follows a WAL acknowledgement runs (a commit that waited for its
     *                      bodies, rollbacks after a DDL), never a backend's writer thread; it must outlive the WALs
     * @param growing       the node-wide budget of growing segments' bytes
     */
    public record Shared(DedupConfig dedup, TxnConfig txns, ShardConfig shards, TimestampAllocator tso,
                         InstantSource clock, GrowingSegmentBytes growing, Executor continuations) {
        public Shared {
            Objects.requireNonNull(dedup, "dedup");
            Objects.requireNonNull(txns, "txns");
            Objects.requireNonNull(shards, "shards");
            Objects.requireNonNull(tso, "tso");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(growing, "growing");
            Objects.requireNonNull(continuations, "continuations");
        }
    }

    /** One pchannel's extensions in order, and its shard manager (which serves the segment listing). */
    public record Extensions(List<WalExtension> inOrder, ShardManager shards) {
        public Extensions {
            inOrder = List.copyOf(inOrder);
        }
    }

    /**
     * @param flushStage the flush module's extension of a pchannel, or {@code null} for a node that flushes
     *                   nothing to object storage
     */
    public ExtensionChain(Shared shared, Function<String, ? extends WalExtension> flushStage) {
        this(shared, flushStage, null);
    }

    /**
     * @param queryStage the delegator module's extension of a pchannel, or {@code null} for a node that serves no
     *                   queries
     */
    public ExtensionChain(Shared shared, Function<String, ? extends WalExtension> flushStage,
                          Function<String, ? extends WalExtension> queryStage) {
        this.shared = Objects.requireNonNull(shared, "shared");
        this.flushStage = flushStage;
        this.queryStage = queryStage;
    }

    /** Fresh extensions of {@code pchannel}, in the order of the class comment. */
    public Extensions forPchannel(String pchannel) {
        ShardManager shards = new ShardManager(pchannel, shared.shards(), shared.tso(), shared.clock(), shared.growing());
        List<WalExtension> chain = new ArrayList<>(6);
        chain.add(new DedupWindow(shared.dedup()));
        if (flushStage != null) {
            chain.add(Objects.requireNonNull(flushStage.apply(pchannel), "flush stage of " + pchannel));
        }
        chain.add(new VchannelLocks());
        chain.add(new TxnManager(shared.txns(), shared.tso(), shared.continuations()));
        chain.add(shards);
        if (queryStage != null) {
            chain.add(Objects.requireNonNull(queryStage.apply(pchannel), "query stage of " + pchannel));
        }
        return new Extensions(chain, shards);
    }
}
