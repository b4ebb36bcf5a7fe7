package io.tidelog.flush;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.node.state.PchannelState;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.parquet.DeleteLogWriter;
import io.tidelog.parquet.DeletedKeys;
import io.tidelog.parquet.FileSummary;
import io.tidelog.parquet.InsertedRows;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.parquet.SealedSegment;
import io.tidelog.parquet.SegmentKeys;
import io.tidelog.parquet.SegmentManifest;
import io.tidelog.parquet.SegmentParquetWriter;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the {@link Flusher} hands it to object storage: a segment as one Parquet file plus its
 * manifest, deletes as a delete log plus its manifest. The file is written to a local scratch directory,
 * uploaded ({@link ObjectStore#put}, atomic), then the manifest is created only if absent: the manifest is
 * what makes the data part of the history, and it appears once, after its file is durable.
 *
 * <p><b>Idempotent.</b> The same segment (or the same deletes) always maps to the same keys and the same rows,
 * so a retry, or a repeat after a crash, rewrites identical objects; a segment whose manifest exists already is
 * skipped. A manifest found with other contents than this upload's (another node's, for rows this log does
 * not hold) is reported as {@code DATA_CORRUPTED} and never overwritten.
 *
 * <p><b>Threads.</b> Safe for concurrent use (the node's flush threads); blocks on I/O.
 */
public final class SegmentUploader {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentUploader.class);

    private final ObjectStore store;
    private final Path scratch;
    private final SegmentParquetWriter segments;
    private final DeleteLogWriter deletes;

    /**
     * @param scratch a local directory for files being written; what it holds at start is left from a crash
     *                and is removed
     */
    public SegmentUploader(ObjectStore store, Path scratch, ParquetConfig parquet) {
        this.store = store;
        this.scratch = scratch;
        this.segments = new SegmentParquetWriter(parquet);
        this.deletes = new DeleteLogWriter(parquet);
        try {
            Files.createDirectories(scratch);
            try (var leftovers = Files.list(scratch)) {
                for (Path p : (Iterable<Path>) leftovers::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the flush scratch directory " + scratch, e);
        }
    }

    public ObjectStore store() {
        return store;
    }

    /** Uploads a sealed segment unless its manifest exists. */
    void uploadSegment(PchannelState.FlushedSegment s, CollectionSchema schema, List<PchannelState.Piece> inserts) {
        String manifestKey = SegmentKeys.segmentManifest(s.collectionId(), s.segmentId());
        if (store.get(manifestKey).isPresent()) {
            LOG.info("segment {} of collection {} is in object storage already", s.segmentId(), s.collectionId());
            return;
        }
        List<InsertedRows> rows = new ArrayList<>(inserts.size());
        for (PchannelState.Piece p : inserts) {
            rows.add(new InsertedRows(parse(InsertBody.parser(), p, "an insert body"), p.timeTick()));
        }
        SealedSegment segment = new SealedSegment(s.collectionId(), s.partitionId(), s.segmentId(), s.vchannel());
        String dataKey = SegmentKeys.segmentData(s.collectionId(), s.segmentId());
        Path file = scratchFile("segment-" + s.segmentId());
        try {
            FileSummary summary = segments.write(file, segment, schema, rows);
            store.put(dataKey, file);
            publish(manifestKey, SegmentManifest.ofSegment(segment, schema.getVersion(), dataKey, summary));
        } finally {
            deleteQuietly(file);
        }
    }

    /** Uploads a delete log unless its manifest exists. */
    void uploadDeletes(Flusher.DeleteBuffer d, CollectionSchema schema, List<PchannelState.Piece> pieces) {
        long first = d.deletes.get(0).timeTick();
        long last = d.deletes.get(d.deletes.size() - 1).timeTick();
        String manifestKey = SegmentKeys.deleteManifest(d.collectionId, d.vchannel, first, last);
        if (store.get(manifestKey).isPresent()) {
            return;
        }
        List<DeletedKeys> keys = new ArrayList<>(pieces.size());
        for (PchannelState.Piece p : pieces) {
            keys.add(new DeletedKeys(parse(DeleteBody.parser(), p, "a delete body"), p.timeTick()));
        }
        String dataKey = SegmentKeys.deleteLog(d.collectionId, d.vchannel, first, last);
        Path file = scratchFile("deletes-" + d.collectionId);
        try {
            FileSummary summary = deletes.write(file, d.collectionId, d.vchannel, schema, keys);
            store.put(dataKey, file);
            publish(manifestKey, SegmentManifest.ofDeletes(d.collectionId, d.vchannel, schema.getVersion(), dataKey, summary));
        } finally {
            deleteQuietly(file);
        }
    }

    private void publish(String key, SegmentManifest manifest) {
        String json = manifest.toJson();
        if (store.createIfAbsent(key, json.getBytes(StandardCharsets.UTF_8))) {
            return;
        }
        Optional<byte[]> existing = store.get(key);
        if (existing.isPresent()) {
            SegmentManifest there = SegmentManifest.fromJson(new String(existing.get(), StandardCharsets.UTF_8));
            if (there.rows() == manifest.rows() && there.files().equals(manifest.files())) {
                return;
            }
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "manifest " + key + " in " + store.describe()
                    + " describes other files than this flush wrote: " + there.files() + " vs " + manifest.files());
        }
        throw new StreamingException(ErrorCode.INNER, "manifest " + key + " was neither created nor found");
    }

    /** {@code DATA_CORRUPTED} naming the record if the log's payload is not a {@code what}. */
    private static <T> T parse(Parser<T> parser, PchannelState.Piece p, String what) {
        try {
            return parser.parseFrom(p.payload());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, what + " in the log at " + p.id() + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    private Path scratchFile(String name) {
        try {
            return Files.createTempFile(scratch, name + "-", ".parquet");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch file in " + scratch, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot remove the scratch file {}: {}", file, e.toString());
        }
    }
}
