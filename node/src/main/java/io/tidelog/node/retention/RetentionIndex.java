package io.tidelog.node.retention;

import io.tidelog.common.MessageId;
import io.tidelog.message.MessageIds;
import io.tidelog.state.proto.RetentionIndexProto;
import io.tidelog.state.proto.RetentionSampleProto;
import io.tidelog.tso.HybridTimestamps;
import java.util.ArrayList;
import java.util.List;

/**
 * A sparse index of one pchannel's retained log: samples {@code (id, time tick, previous time tick, offset)} in log
 * order, where {@code offset} counts the record bytes appended before the sample's record and the previous time tick
 * is that of the record right before it (every earlier record has a time tick at or below it). It tells where the
 * log may be cut for retention by time and by bytes without reading the log, on any backend.
 *
 * <p><b>Precision.</b> A sample is taken when at least {@code spacingMillis} of time-tick time or
 * {@code spacingBytes} of records passed since the previous one (0 and 0: every record). The bounds it gives
 * err on keeping more: at most one spacing beyond what retention asks. At most {@link #MAX_SAMPLES} samples are
 * kept: when full, every other one is dropped and both spacings double, so the resolution stays even along
 * the log (the oldest part, where truncation happens, is never coarser than the newest).
 *
 * <p><b>Persistence.</b> It is saved with the pchannel's recovery snapshot (the part up to the snapshot's
 * position) and completed by replay, so a restart knows the time and size of the log before its checkpoint.
 * Without a saved index (a log written before it existed) it covers the log from the checkpoint on, and the
 * older part goes once the first sample does.
 *
 * <p><b>Threads.</b> Records are observed in log order by the WAL (as it publishes them, or replays them); the
 * retention pass reads it on another thread. Its own monitor is a leaf lock: nothing is called while holding it.
 */
final class RetentionIndex {
    static final int MAX_SAMPLES = 1024;

    /** One point where the log may be cut: every record before {@code id} has a time tick at most {@code before}. */
    record Sample(MessageId id, long timeTick, long before, long offset) {
    }

    /** Where retention by time and by bytes allow the log to be cut; null where they allow nothing. */
    record Floors(MessageId byTime, MessageId byBytes) {
        /** The later of the two (a message goes when either bound lets it go), or null. */
        MessageId later() {
            if (byTime == null) {
                return byBytes;
            }
            return byBytes == null || byTime.compareTo(byBytes) >= 0 ? byTime : byBytes;
        }
    }

    private final long baseSpacingMillis;
    private final long baseSpacingBytes;
    private final List<Sample> samples = new ArrayList<>();
    private long spacingMillis;
    private long spacingBytes;
    private long endOffset;
    /** The last record observed (null before the first), its time tick, the one before it, and its offset. */
    private MessageId lastId;
    private long lastTimeTick;
    private long beforeLast;
    private long lastOffset;

    /**
     * @param spacingMillis the least time-tick time between two samples (0: no bound)
     * @param spacingBytes  the least record bytes between two samples (0: no bound)
     */
    RetentionIndex(long spacingMillis, long spacingBytes) {
        this.baseSpacingMillis = spacingMillis;
        this.baseSpacingBytes = spacingBytes;
        this.spacingMillis = spacingMillis;
        this.spacingBytes = spacingBytes;
    }

    /** Spacings that resolve {@code config}'s bounds to about 1/512 of their extent. */
    static RetentionIndex forConfig(RetentionConfig config) {
        long millis = Math.max(1000, config.time().toMillis() / 512);
        long bytes = config.bytesUnlimited() ? Long.MAX_VALUE : Math.max(1, config.bytes() / 512);
        return new RetentionIndex(millis, bytes);
    }

    /** Records the next record of the log, in log order. */
    synchronized void observe(MessageId id, long timeTick, int bytes) {
        Sample last = samples.isEmpty() ? null : samples.get(samples.size() - 1);
        if (last == null || id.compareTo(last.id) > 0 && (millis(timeTick) - millis(last.timeTick) >= spacingMillis
                || endOffset - last.offset >= spacingBytes)) {
            // The first record an index sees may follow records it never saw (a log older than the index): they have
            // time ticks at or below this record's, which is all that can be said of them.
            samples.add(new Sample(id, timeTick, last == null && lastTimeTick == 0 ? timeTick : lastTimeTick, endOffset));
            if (samples.size() > MAX_SAMPLES) {
                thin();
            }
        }
        beforeLast = lastId == null && lastTimeTick == 0 ? timeTick : lastTimeTick;
        lastId = id;
        lastOffset = endOffset;
        endOffset += bytes;
        lastTimeTick = timeTick;
    }

    /** Keeps the first, the last and every other sample between; doubles the spacings. */
    private void thin() {
        List<Sample> kept = new ArrayList<>(samples.size() / 2 + 2);
        for (int i = 0; i < samples.size(); i++) {
            if (i % 2 == 0 || i == samples.size() - 1) {
                kept.add(samples.get(i));
            }
        }
        samples.clear();
        samples.addAll(kept);
        spacingMillis = spacingMillis > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : Math.max(1, spacingMillis * 2);
        spacingBytes = spacingBytes > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : Math.max(1, spacingBytes * 2);
    }

    /**
     * Where retention allows the log to be cut at {@code nowMillis}: by time, the last sample every record before
     * which is at least {@code time} old; by bytes, the last sample with at least {@code bytes} of records from it
     * to the end. Records at and after each floor stay (with a sample per record, exactly the records younger than
     * {@code time}, and the fewest newest records holding {@code bytes}).
     */
    synchronized Floors floors(long nowMillis, RetentionConfig config) {
        long cutoff = nowMillis - config.time().toMillis();
        MessageId byTime = null;
        MessageId byBytes = null;
        for (Sample s : samples) {
            if (millis(s.before) <= cutoff) {
                byTime = s.id;
            }
            if (!config.bytesUnlimited() && endOffset - s.offset >= config.bytes()) {
                byBytes = s.id;
            }
        }
        // The last record is a cut point too, sampled or not: when all before it is old, so is the whole log.
        if (lastId != null) {
            // Retention 0 keeps nothing by time, whatever the clocks say (the TSO may run ahead of this node's).
            if (millis(beforeLast) <= cutoff || config.time().isZero()) {
                byTime = lastId;
            }
            if (!config.bytesUnlimited() && endOffset - lastOffset >= config.bytes()) {
                byBytes = lastId;
            }
        }
        return new Floors(byTime, byBytes);
    }

    /** Forgets the samples before {@code earliest}, the first record the log still holds. */
    synchronized void retainFrom(MessageId earliest) {
        int drop = 0;
        while (drop < samples.size() && samples.get(drop).id.compareTo(earliest) < 0) {
            drop++;
        }
        samples.subList(0, drop).clear();
        if (samples.size() < MAX_SAMPLES / 4 && (spacingMillis > baseSpacingMillis || spacingBytes > baseSpacingBytes)) {
            spacingMillis = Math.max(baseSpacingMillis, spacingMillis / 2);
            spacingBytes = Math.max(baseSpacingBytes, spacingBytes / 2);
        }
    }

    /** Record bytes from {@code id}'s sample (or the first sample after it) to the end; -1 if none. */
    synchronized long bytesFrom(MessageId id) {
        for (Sample s : samples) {
            if (s.id.compareTo(id) >= 0) {
                return endOffset - s.offset;
            }
        }
        return -1;
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    synchronized long endOffset() {
        return endOffset;
    }

    synchronized RetentionIndexProto toProto() {
        RetentionIndexProto.Builder b = RetentionIndexProto.newBuilder().setEndOffset(endOffset)
                .setSpacingMillis(spacingMillis).setSpacingBytes(spacingBytes).setLastTimeTick(lastTimeTick)
                .setBeforeLastTimeTick(beforeLast).setLastOffset(lastOffset);
        if (lastId != null) {
            b.setLastId(MessageIds.toProto(lastId));
        }
        for (Sample s : samples) {
            b.addSamples(RetentionSampleProto.newBuilder().setId(MessageIds.toProto(s.id)).setTimeTick(s.timeTick)
                    .setBeforeTimeTick(s.before).setOffset(s.offset));
        }
        return b.build();
    }

    /** Replaces this index with a saved one (its spacings stay at least this index's base). */
    synchronized void restore(RetentionIndexProto p) {
        samples.clear();
        for (RetentionSampleProto s : p.getSamplesList()) {
            samples.add(new Sample(MessageIds.fromProto(s.getId()), s.getTimeTick(), s.getBeforeTimeTick(), s.getOffset()));
        }
        endOffset = p.getEndOffset();
        lastTimeTick = p.getLastTimeTick();
        lastId = p.hasLastId() ? MessageIds.fromProto(p.getLastId()) : null;
        beforeLast = p.getBeforeLastTimeTick();
        lastOffset = p.getLastOffset();
        spacingMillis = Math.max(baseSpacingMillis, p.getSpacingMillis());
        spacingBytes = Math.max(baseSpacingBytes, p.getSpacingBytes());
    }

    private static long millis(long timeTick) {
        return HybridTimestamps.physicalMillis(timeTick);
    }
}
