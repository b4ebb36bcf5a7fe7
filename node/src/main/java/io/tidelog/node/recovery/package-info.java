/**
 * Recovery's vocabulary: a {@link io.tidelog.node.recovery.Checkpoint} in the log, the state an extension persists
 * at one ({@link io.tidelog.node.recovery.ExtensionState}), and the store that keeps a pchannel's recovery snapshot.
 */
package io.tidelog.node.recovery;
