/**
 * Transactions on the append side: begin, keepalive, commit and rollback, and the rollback at the next term of what
 * the log left open ({@link io.tidelog.node.txn.TxnManager}).
 */
package io.tidelog.node.txn;
