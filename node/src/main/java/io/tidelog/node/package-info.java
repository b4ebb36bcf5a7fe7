/**
 * The streaming node's WAL framework: one {@link io.tidelog.node.StreamingWal} per pchannel it owns, above any
 * backend, and the {@link io.tidelog.node.WalManager} that opens, fences and closes them by term.
 *
 * <p>The node's packages are its parts, each using only the ones below it (checked by {@code NodePackagesTest}):
 * <ul>
 *   <li>{@code io.tidelog.node.extension} — the extension chain, the one place the order of the extensions is
 *       written ({@code ExtensionChain}), and the small extensions: per-vchannel DDL/DML ordering
 *       ({@code VchannelLocks}) and idempotent appends ({@code DedupWindow});</li>
 *   <li>{@code io.tidelog.node.shard} and {@code io.tidelog.node.txn} — the append side of collection shards
 *       (rules, growing segments, seals) and of transactions;</li>
 *   <li>{@code io.tidelog.node} — this package: the per-pchannel WAL (time-tick order, group commit, the in-flight
 *       queue, replay, checkpoints), its manager and the extension SPI ({@link io.tidelog.node.WalExtension},
 *       {@link io.tidelog.node.AppendInterceptor}, {@link io.tidelog.node.AppendResult});</li>
 *   <li>{@code io.tidelog.node.state} — the one log-derived state of a pchannel (collections, growing segments,
 *       open transactions), applied by the WAL to every message and read by everyone else;
 *       {@code io.tidelog.node.scan} — scanners over the write-ahead buffer and the log;
 *       {@code io.tidelog.node.retention} — what the log keeps, subscriptions and truncation;</li>
 *   <li>{@code io.tidelog.node.recovery} — checkpoints, the extensions' persisted states and the recovery store.</li>
 * </ul>
 * The node never sees a concrete backend: it holds a {@code Wal} of the WAL SPI.
 */
package io.tidelog.node;
