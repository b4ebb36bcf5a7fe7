package io.tidelog.node;

import io.tidelog.common.MessageId;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.retention.RetentionStatus;

/**
 * A snapshot of one pchannel's WAL on this node.
 *
 * @param pchannel       the pchannel
 * @param term           the term it is served at
 * @param available      whether appends are accepted (false once fenced or failed)
 * @param lastTimeTick   the time tick of the last message acknowledged (data or TimeTick)
 * @param lastId         the id of the last message stored
 * @param lastStoredTimeTick the time tick of that message (a TimeTick written after data counts; those only in the
 *                       write-ahead buffer do not)
 * @param inFlight       appends accepted but not yet acknowledged
 * @param bufferEntries  messages in the write-ahead buffer
 * @param bufferBytes    their encoded size
 * @param scanners       the scanners open on this WAL, by mode
 * @param appended       messages appended in this term (data and persisted TimeTicks)
 * @param checkpoint     where a reopen would start replaying (the last persisted checkpoint), or null
 * @param replay         what opening this term replayed
 * @param retainedBytes  bytes the backend holds for the pchannel (-1 if it cannot tell)
 * @param retention      what the WAL retains and why
 * @param unavailableReason why appends are refused ({@code CODE: message}, and how reopening it goes), or
 *                       null while they are accepted
 */
public record WalStatus(String pchannel, long term, boolean available, long lastTimeTick, MessageId lastId,
                        long lastStoredTimeTick,
                        int inFlight, int bufferEntries, long bufferBytes, Scanners scanners, long appended, Checkpoint checkpoint,
                        Replay replay, long retainedBytes, RetentionStatus retention, String unavailableReason) {

    /** This status with another unavailability reason. */
    public WalStatus withUnavailableReason(String reason) {
        return new WalStatus(pchannel, term, available, lastTimeTick, lastId, lastStoredTimeTick, inFlight, bufferEntries, bufferBytes,
                scanners, appended, checkpoint, replay, retainedBytes, retention, reason);
    }

    /**
     * Scanners by mode: {@code catchingUp} read the backend, {@code tailing} the write-ahead buffer.
     */
    public record Scanners(int catchingUp, int tailing) {
    }

    /** What replay read when the pchannel opened: messages and bytes of the log before the term's first TimeTick. */
    public record Replay(long messages, long bytes, long millis, Checkpoint from) {
    }
}
