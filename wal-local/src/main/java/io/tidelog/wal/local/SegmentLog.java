package io.tidelog.wal.local;

import io.tidelog.common.Closeables;
import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.Fsync;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage of one pchannel in a data directory, shared by every {@link SegmentFileWal} of that
 * pchannel in this process: its segment files, its durable term, and its durable end.
 *
 * <pre>
 * &lt;data dir&gt;/&lt;pchannel&gt;/term                      the fencing record (see TermFile)
 * &lt;data dir&gt;/&lt;pchannel&gt;/00000000000000000007.seg  segments, contiguous indexes, all but the last sealed
 * </pre>
 *
 * <p><b>Locks.</b> {@code writeLock} serialises everything that changes the files: fencing (a new
 * term), each batch write with its term check and fdatasync, sealing, rolling and truncation (whose files are
 * removed after it, see {@link #truncate}). A batch
 * is written only while its writer's term is the current term, under this lock, so a fenced writer can
 * never get a byte onto the disk after the fence. {@code endLock} guards only the published durable
 * end, which scanners wait on; it is taken inside {@code writeLock}, never the other way round.
 *
 * <p><b>Failed writes.</b> A write or fdatasync that fails leaves the bytes from the durable end on
 * unknown: any part of the batch may have reached the file. The end stays where it was, and nothing is
 * written behind it again before a seal goes there (by the next batch, or by the next writer's claim),
 * so the failed batch is never read, whatever of it reached the disk. A batch that a full disk refused
 * and that provably cannot read back whole fails with {@code RESOURCE_EXHAUSTED} and the writer goes on;
 * any other failure has an unknown outcome ({@code INNER}) and its writer stops (see
 * {@link GroupCommitWriter}); the next claim of the pchannel, at the same term or a newer one, seals the
 * failed tail before it returns.
 */
final class SegmentLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentLog.class);

    final String pchannel;
    final Path dir;
    private final LocalWalConfig config;
    private final SegmentPool pool;
    private final SegmentChannels channels;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();

    private final ReentrantLock writeLock = new ReentrantLock();
    private TermFile termFile;
    private long term = -1;
    private Object writer;
    private boolean lastSealed;
    private boolean lastNeedsHeader;
    private long tornAt = -1;
    /** A write at the durable end failed: what lies from there on is unknown, and is sealed off before the next write. */
    private boolean failedTail;

    private final ReentrantLock endLock = new ReentrantLock();
    private final Condition endAdvanced = endLock.newCondition();
    private volatile Position end;
    private volatile long firstIndex;
    private volatile boolean closed;

    /** Opens a segment file for reading and writing: the files in production; tests inject faults. */
    @FunctionalInterface
    interface SegmentChannels {
        SegmentChannels FILES = f -> FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);

        FileChannel open(Path segmentFile) throws IOException;
    }

    private SegmentLog(String pchannel, Path dir, LocalWalConfig config, SegmentPool pool, SegmentChannels channels) {
        this.pchannel = pchannel;
        this.dir = dir;
        this.config = config;
        this.pool = pool;
        this.channels = channels;
    }

    /** Loads a pchannel's state from disk without writing anything; a missing directory is an empty log. */
    static SegmentLog load(String pchannel, Path dir, LocalWalConfig config, SegmentPool pool, SegmentChannels channels)
            throws IOException {
        SegmentLog log = new SegmentLog(pchannel, dir, config, pool, channels);
        log.loadSegments();
        return log;
    }

    private void loadSegments() throws IOException {
        List<Long> indexes = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (name.matches("\\d{20}\\.seg")) {
                        indexes.add(Long.parseLong(name.substring(0, 20)));
                    }
                }
            }
        }
        indexes.sort(null);
        for (int i = 1; i < indexes.size(); i++) {
            if (indexes.get(i) != indexes.get(i - 1) + 1) {
                throw StreamingException.corrupted("pchannel " + pchannel + ": segment " + (indexes.get(i - 1) + 1)
                        + " is missing between " + indexes.get(i - 1) + " and " + indexes.get(i));
            }
        }
        if (indexes.isEmpty()) {
            firstIndex = 0;
            end = new Position(0, SegmentFormat.SEGMENT_HEADER_BYTES);
            lastSealed = true; // nothing to append to: the first write creates segment 0
            return;
        }
        long last = indexes.get(indexes.size() - 1);
        for (long index : indexes) {
            Path path = dir.resolve(Segment.fileName(index));
            FileChannel ch = channels.open(path);
            if (index < last) {
                segments.put(index, new Segment(pchannel, index, path, ch, new BatchIndex(),
                        SegmentFormat.SEGMENT_HEADER_BYTES));
                continue;
            }
            long started = System.nanoTime();
            SegmentScan.Result r = SegmentScan.scan(ByteSource.of(ch), index, ch.size());
            segments.put(index, new Segment(pchannel, index, path, ch, r.batches(), r.end()));
            end = new Position(index, r.end());
            lastSealed = r.sealed();
            tornAt = r.tornAt();
            lastNeedsHeader = !r.headerValid() && r.records() == 0;
            if (r.corruptAt() >= 0) {
                LOG.warn("pchannel {} segment {}: damaged data at position {} ({}); readers reaching it fail with {}",
                        pchannel, index, r.corruptAt(), r.corruption(), ErrorCode.DATA_CORRUPTED);
            }
            if (r.tornAt() >= 0) {
                LOG.info("pchannel {} segment {}: torn tail at position {} (unacknowledged writes of a crash); "
                        + "the next writer seals it off", pchannel, index, r.tornAt());
            }
            if (!r.headerValid() && r.records() > 0) {
                LOG.warn("pchannel {} segment {}: damaged segment header; its batches verify on their own", pchannel, index);
            }
            LOG.debug("pchannel {}: recovered segment {} ({} records, end {}) in {} ms", pchannel, index, r.records(),
                    r.end(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        firstIndex = indexes.get(0);
    }

    // ------------------------------------------------------------------ fencing and the writer slot

    /**
     * Makes {@code wal} the writer at {@code newTerm}: records the term durably (fencing every older
     * writer, whose next batch fails its term check), and repairs a torn tail left by a crash or by a
     * failed write of an earlier writer in this process. The writer slot is taken only once that is
     * done, so a claim that failed can be retried.
     *
     * @throws StreamingException {@code RESOURCE_EXHAUSTED} if the disk is too full for the term or the
     *         repair (retry once there is room), {@code CHANNEL_FENCED} for an older term
     */
    void claimWriter(long newTerm, Object wal) {
        writeLock.lock();
        try {
            checkOpen();
            if (termFile == null) {
                Files.createDirectories(dir);
                Fsync.directory(dir.getParent());
                termFile = TermFile.open(dir);
                term = termFile.term();
            }
            if (newTerm < term) {
                throw StreamingException.fenced("pchannel " + pchannel + " is at term " + term
                        + "; cannot open it for writing at older term " + newTerm);
            }
            if (newTerm == term && writer != null) {
                throw StreamingException.invalidArgument("pchannel " + pchannel + " is already open for writing at term " + newTerm);
            }
            if (newTerm > term || termFile.term() != newTerm) {
                termFile.write(newTerm);
            }
            term = newTerm;
            repairTail();
            writer = wal;
        } catch (IOException e) {
            String what = "pchannel " + pchannel + ": cannot open it for writing at term " + newTerm;
            if (DiskSpace.isNoSpace(e, dir)) {
                throw DiskSpace.exhausted(what, dir, e);
            }
            throw StreamingException.inner(what + " (recording the term or repairing the log's tail failed)", e);
        } finally {
            writeLock.unlock();
        }
    }

    private void repairTail() throws IOException {
        Segment last = segments.isEmpty() ? null : segments.lastEntry().getValue();
        if (last == null) {
            return;
        }
        if (lastNeedsHeader) {
            writeFully(last.channel, SegmentFormat.segmentHeader(last.index, term), 0);
            last.channel.force(false);
            lastNeedsHeader = false;
            tornAt = -1;
        }
        if (tornAt >= 0) {
            // Seal the segment where valid data ends: the torn bytes behind the seal are never read again.
            seal(last, tornAt);
            tornAt = -1;
        }
        if (failedTail && !lastSealed && end.segment() == last.index) {
            seal(last, end.offset());
            LOG.info("pchannel {}: sealed segment {} at {}, where the write that failed began; it is never read",
                    pchannel, last.index, end.offset());
        }
        failedTail = false;
    }

    /**
     * Ends {@code seg} at {@code offset}, durably: readers move on to the next segment there, and nothing
     * behind it is read again. A failed attempt leaves a failed tail (the seal may be half written).
     */
    private void seal(Segment seg, long offset) throws IOException {
        try {
            writeFully(seg.channel, SegmentFormat.sealHeader(seg.index, offset, term), offset);
            seg.channel.force(false);
        } catch (IOException e) {
            failedTail = true;
            throw e;
        }
        lastSealed = true;
        failedTail = false;
        seg.dataEnd = offset;
    }

    /**
     * Called by a writer that closed cleanly with everything written: leaves a CLEAN marker where the
     * data ends, so the next open knows no torn tail can follow.
     */
    void markClean(long writerTerm, Object wal) {
        writeLock.lock();
        try {
            Segment last = segments.isEmpty() ? null : segments.lastEntry().getValue();
            if (closed || failedTail || writerTerm != term || writer != wal || lastSealed || last == null
                    || end.segment() != last.index || end.offset() + SegmentFormat.BATCH_HEADER_BYTES > last.capacity) {
                return;
            }
            writeFully(last.channel, SegmentFormat.cleanHeader(last.index, end.offset(), term), end.offset());
            last.channel.force(false);
        } catch (IOException e) {
            LOG.warn("pchannel {}: could not write the clean-shutdown marker: {}", pchannel, e.toString());
        } finally {
            writeLock.unlock();
        }
    }

    void releaseWriter(Object wal) {
        writeLock.lock();
        try {
            if (writer == wal) {
                writer = null;
            }
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes one batch of the writer at {@code writerTerm} and syncs it: the durability point. The
     * buffer holds the batch's records from {@link SegmentFormat#BATCH_HEADER_BYTES} to its position
     * (room for the header before); this completes the batch ({@link SegmentFormat#finishBatch}),
     * rolling to a new segment first if it does not fit.
     *
     * @return where the batch was written
     * @throws StreamingException {@code CHANNEL_FENCED} if a newer term was opened, {@code RESOURCE_EXHAUSTED}
     *         if the disk is full (in both cases nothing of the batch is in the log, now or after a crash);
     *         {@code INNER} if a write or sync failed otherwise: the outcome is unknown, and the writer must
     *         stop (the next claim seals the failed batch off)
     */
    Position writeBatch(long writerTerm, ByteBuffer batch, int recordCount) {
        writeLock.lock();
        try {
            checkWriter(writerTerm);
            int length = SegmentFormat.align(batch.position());
            Segment seg;
            try {
                seg = segmentFor(length);
            } catch (IOException e) {
                throw notWritten(recordCount, e);
            }
            Position at = end;
            SegmentFormat.finishBatch(batch, seg.index, at.offset(), recordCount, term);
            try {
                writeFully(seg.channel, batch, at.offset());
            } catch (IOException e) {
                throw writeFailed(seg, at, batch, recordCount, e);
            }
            try {
                seg.channel.force(false);
            } catch (IOException e) {
                failedTail = true;
                throw outcomeUnknown("pchannel " + pchannel + ": the fdatasync of a batch of " + recordCount
                        + " records failed", e);
            }
            seg.indexed(at.offset(), length);
            publishEnd(new Position(seg.index, at.offset() + length));
            return at;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The segment a batch of {@code length} bytes goes to, at the durable end: the last one, or a new
     * one after sealing the last (it is full, or a failed write left its tail unknown).
     */
    private Segment segmentFor(int length) throws IOException {
        Position at = end;
        Segment seg = segments.get(at.segment());
        if (failedTail || seg == null || lastSealed
                || at.offset() + length + SegmentFormat.BATCH_HEADER_BYTES > seg.capacity) {
            seg = roll(seg, at);
        }
        return seg;
    }

    /** Nothing of a batch reached the file: the failure came before its write. */
    private StreamingException notWritten(int recordCount, IOException e) {
        String what = "pchannel " + pchannel + ": a batch of " + recordCount + " records was not written (no room "
                + "for its segment)";
        if (DiskSpace.isNoSpace(e, dir)) {
            return DiskSpace.exhausted(what, dir, e);
        }
        return outcomeUnknown(what, e);
    }

    /**
     * The write of a batch failed after {@code batch.position()} of its bytes reached the file. A full disk
     * that left the batch torn (it does not read back whole, so no later scan takes it for data, and the
     * seal of the failed tail makes sure of it) means nothing was written; anything else is unknown.
     */
    private StreamingException writeFailed(Segment seg, Position at, ByteBuffer batch, int recordCount, IOException e) {
        boolean touched = batch.position() > 0;
        failedTail |= touched;
        String what = "pchannel " + pchannel + ": the write of a batch of " + recordCount + " records failed";
        if (DiskSpace.isNoSpace(e, dir) && (!touched || !readsBackWhole(seg, at))) {
            return DiskSpace.exhausted(what, dir, e);
        }
        return outcomeUnknown(what, e);
    }

    /** Whether the bytes at {@code at} read back as a whole, valid batch; true when that cannot be told. */
    private static boolean readsBackWhole(Segment seg, Position at) {
        try {
            return Batch.read(new ReadAhead(seg.source, 64 << 10), seg.index, at.offset(), seg.capacity).kind
                    == Batch.Kind.RECORDS;
        } catch (IOException e) {
            return true;
        }
    }

    private StreamingException outcomeUnknown(String what, IOException e) {
        String disk = DiskSpace.isNoSpace(e, dir) ? " (" + DiskSpace.describeFull(dir) + ")" : "";
        return StreamingException.inner(what + disk + ": " + e.getMessage() + "; the outcome of its appends is "
                + "unknown, and this writer stops: reopen the pchannel to go on (the failed batch is sealed off "
                + "and never read)", e);
    }

    /** Seals {@code current} at {@code at} (unless sealed already) and creates the next segment. */
    private Segment roll(Segment current, Position at) throws IOException {
        if (current != null && !lastSealed) {
            seal(current, at.offset());
        }
        if (current != null && current.dataEnd < 0) {
            current.dataEnd = at.offset(); // sealed before this process: its data ends where the log went on
        }
        lastSealed = true;
        long index = current == null ? at.segment() : current.index + 1;
        Segment next = createSegment(index);
        lastSealed = false;
        publishEnd(new Position(index, SegmentFormat.SEGMENT_HEADER_BYTES));
        return next;
    }

    private Segment createSegment(long index) throws IOException {
        Path target = dir.resolve(Segment.fileName(index));
        Path spare = pool.take();
        if (spare == null) {
            // No preallocated spare is ready (a fresh directory, or appends outrunning the preallocator):
            // a sparse file now, rather than stalling every append of the pchannel while tens of MiB of
            // zeros are written. Its first writes are slower (fresh blocks); none waits for the others.
            spare = dir.resolve(Segment.fileName(index) + ".tmp");
            Files.deleteIfExists(spare);
            SegmentPool.createSparse(spare, config.segmentBytes());
        }
        // A target left by a failed attempt (no valid header, not in the log) is replaced.
        Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE);
        Fsync.directory(dir);
        FileChannel ch = channels.open(target);
        try {
            writeFully(ch, SegmentFormat.segmentHeader(index, term), 0);
            ch.force(false);
            Segment seg = new Segment(pchannel, index, target, ch, new BatchIndex(), SegmentFormat.SEGMENT_HEADER_BYTES);
            segments.put(index, seg);
            return seg;
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(ch, e);
            throw e;
        }
    }

    /**
     * Removes every segment wholly before {@code upTo} (recycling the files). Only the writer of the
     * current term may truncate.
     *
     * <p>The segments leave the log under {@code writeLock}; their files are recycled or deleted, and the
     * directory synced, after it is released: each of those takes milliseconds on some disks (an unlink with
     * online discard, a journal commit), and every batch write waits for {@code writeLock}. After a burst,
     * one truncation may remove tens of segments. A truncation is durable only once the directory is synced, under the lock or not: a crash
     * before that leaves the files as a crash before this call would.
     */
    void truncate(long writerTerm, MessageId upTo) {
        List<Segment> removed = new ArrayList<>();
        writeLock.lock();
        try {
            checkWriter(writerTerm);
            Position target = Position.of(upTo);
            if (target.compareTo(end) > 0) {
                throw StreamingException.invalidArgument("pchannel " + pchannel + ": cannot truncate to " + upTo
                        + ", beyond the end of the log (" + end + ")");
            }
            for (Map.Entry<Long, Segment> e : segments.headMap(target.segment()).entrySet()) {
                Segment seg = e.getValue();
                firstIndex = seg.index + 1;
                segments.remove(seg.index);
                removed.add(seg);
            }
        } finally {
            writeLock.unlock();
        }
        if (removed.isEmpty()) {
            return;
        }
        try {
            for (Segment seg : removed) {
                seg.channel.close();
                pool.recycle(seg.path);
            }
            Fsync.directory(dir);
            LOG.debug("pchannel {}: truncated below segment {}", pchannel, removed.get(removed.size() - 1).index + 1);
        } catch (IOException e) {
            throw StreamingException.inner("pchannel " + pchannel + ": truncation to " + upTo + " failed", e);
        }
    }

    /** The fence: only the writer of the current term may change the files. Called under writeLock. */
    private void checkWriter(long writerTerm) {
        checkOpen();
        if (writerTerm != term) {
            throw StreamingException.fenced("pchannel " + pchannel + " was opened at term " + term
                    + "; the writer of term " + writerTerm + " is fenced");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " is closed");
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
    }

    // ------------------------------------------------------------------ reading

    Position end() {
        return end;
    }

    /**
     * The bytes of data the retained segments hold: up to the durable end in the last segment, up to the seal in
     * segments sealed by this process, and the whole file for older segments (sealed when full, so nearly so).
     * Preallocated room the log has not written is not counted.
     */
    /** True if no writer ever claimed the pchannel (its term file) and no segment file exists, on the disk now. */
    boolean isNew() {
        if (Files.exists(dir.resolve(TermFile.NAME))) {
            return false;
        }
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.seg")) {
            return !files.iterator().hasNext();
        } catch (IOException e) {
            throw StreamingException.inner("cannot list the segments of pchannel " + pchannel + " in " + dir, e);
        }
    }

    long retainedBytes() {
        Position e = end;
        long bytes = 0;
        for (Segment s : segments.values()) {
            bytes += s.index == e.segment() ? e.offset() : s.dataEnd >= 0 ? s.dataEnd : s.capacity;
        }
        return bytes;
    }

    long firstIndex() {
        return firstIndex;
    }

    Segment segment(long index) {
        return segments.get(index);
    }

    private void publishEnd(Position p) {
        endLock.lock();
        try {
            end = p;
            endAdvanced.signalAll();
        } finally {
            endLock.unlock();
        }
    }

    /**
     * Waits until the durable end moves past {@code from}, the log closes, {@code stop} reports true,
     * or the time runs out.
     *
     * @return the remaining nanoseconds (negative or zero when the time ran out)
     */
    long awaitBeyond(Position from, long nanos, java.util.function.BooleanSupplier stop) throws InterruptedException {
        endLock.lock();
        try {
            while (end.equals(from) && !closed && !stop.getAsBoolean() && nanos > 0) {
                nanos = endAdvanced.awaitNanos(nanos);
            }
            return nanos;
        } finally {
            endLock.unlock();
        }
    }

    /** Wakes every waiting scanner so it re-checks its own state (for example after it was closed). */
    void wakeScanners() {
        endLock.lock();
        try {
            endAdvanced.signalAll();
        } finally {
            endLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Test support: holding this lock stalls the writer between batches. */
    ReentrantLock writeLockForTesting() {
        return writeLock;
    }

    @Override
    public void close() throws IOException {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Segment s : segments.values()) {
                s.channel.close();
            }
            if (termFile != null) {
                termFile.close();
            }
        } finally {
            writeLock.unlock();
        }
        wakeScanners();
    }
}
