/**
 * The one log-derived state of a pchannel ({@link io.tidelog.node.state.PchannelState}): collections with their
 * schema versions and partitions, growing segments with the rows the log assigned them, transactions open in the
 * log. The WAL applies every message to it before any extension sees the message; it is checkpointed and replayed
 * with the log.
 */
package io.tidelog.node.state;
