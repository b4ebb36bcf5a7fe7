/**
 * Collection shards on the append side: the DDL/DML rules a message must pass against the collections the log
 * defines ({@link io.tidelog.node.shard.ShardRules}), and growing segments from creation through seal to Flush
 * ({@link io.tidelog.node.shard.ShardManager}). What the log has defined lives in {@code io.tidelog.node.state}.
 */
package io.tidelog.node.shard;
