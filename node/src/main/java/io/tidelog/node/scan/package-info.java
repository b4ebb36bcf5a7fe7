/**
 * Reading a pchannel: the write-ahead buffer of recent messages, scanners that switch between it and the log, the
 * read-ahead used by replay, and the assembly of committed transactions for consumers.
 */
package io.tidelog.node.scan;
