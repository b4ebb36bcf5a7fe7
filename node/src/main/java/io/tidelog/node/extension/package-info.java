/**
 * The extensions of a pchannel's WAL and their order: {@link io.tidelog.node.extension.ExtensionChain} builds the
 * chain in its one correct order (dedup, the flush stage, vchannel locks, transactions, shards), for the server, the
 * benches and the tests alike.
 */
package io.tidelog.node.extension;
