/**
 * What a pchannel's log retains and why: the retention policy (time, bytes, the checkpoint), durable
 * subscriptions and their stores, and the truncation below the lowest position anyone still needs.
 */
package io.tidelog.node.retention;
