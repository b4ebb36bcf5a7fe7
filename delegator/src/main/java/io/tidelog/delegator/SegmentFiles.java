package io.tidelog.delegator;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.parquet.DeleteLogReader;
import io.tidelog.parquet.DeleteLogRows;
import io.tidelog.parquet.FileChecksum;
import io.tidelog.parquet.SegmentFileReader;
import io.tidelog.parquet.SegmentKeys;
import io.tidelog.parquet.SegmentManifest;
import io.tidelog.parquet.SegmentProjection;
import io.tidelog.parquet.SegmentRows;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.InsertBody;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query-node side of historical data: finds the flushed segments and delete logs of a vchannel by their
 * manifests in object storage and reads them back, through a local cache of their files.
 *
 * <p><b>Cache.</b> A file is downloaded once into the cache directory under its object key and checked against its
 * manifest (size and CRC32C) before it is read; a cached file that fails the check is downloaded again. Files are
 * immutable in object storage (a segment's key is a function of its id), so a file that passes is current. The
 * cache is bounded on disk ({@link LocalFileCache}).
 *
 * <p>Thread-safe: calls on different keys run in parallel; two calls on one key download it twice at worst (each
 * into its own temporary file, renamed over the other).
 */
final class SegmentFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentFiles.class);
    private final ObjectStore objects;
    private final LocalFileCache files;
    private final Path cache;
    private final SealedSegmentCache memory;

    /**
     * @param files this node's copies of the files read, bounded on disk
     * @param rows  where the rows of sealed segments are kept in memory
     */
    SegmentFiles(ObjectStore objects, LocalFileCache files, SealedSegmentCache rows) {
        this.objects = objects;
        this.files = files;
        this.cache = files.dir();
        this.memory = rows;
    }

    /** The manifests of {@code vchannel}'s flushed segments and delete logs of collection {@code collectionId}. */
    List<SegmentManifest> manifests(long collectionId, String vchannel) {
        List<SegmentManifest> out = new ArrayList<>();
        for (ObjectInfo o : objects.list(SegmentKeys.collectionPrefix(collectionId))) {
            if (!SegmentKeys.isManifest(o.key())) {
                continue;
            }
            Optional<SegmentManifest> m = manifest(o.key());
            if (m.isPresent() && m.get().vchannel().equals(vchannel)) {
                out.add(m.get());
            }
        }
        return out;
    }

    /** The manifest of segment {@code segmentId}, if it is in object storage. */
    Optional<SegmentManifest> segmentManifest(long collectionId, long segmentId) {
        return manifest(SegmentKeys.segmentManifest(collectionId, segmentId));
    }

    private Optional<SegmentManifest> manifest(String key) {
        return objects.get(key).map(json -> {
            try {
                return SegmentManifest.fromJson(new String(json, StandardCharsets.UTF_8));
            } catch (StreamingException e) {
                throw new StreamingException(ErrorCode.DATA_CORRUPTED, "manifest " + key + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * A flushed segment, its rows read under {@code schema} (a newer one's added fields are null) and put in the
     * node's cache of sealed rows, from which they are read again the same way after an eviction.
     */
    SealedSegment segment(SegmentManifest m, CollectionSchema schema) {
        return SealedSegment.of(m.segmentId(), m.partitionId(), rows(m, schema), () -> rows(m, schema), memory);
    }

    private ShardSegment rows(SegmentManifest m, CollectionSchema schema) {
        InsertBody.Builder rows = InsertBody.newBuilder().setPartitionId(m.partitionId());
        List<long[]> ticks = new ArrayList<>();
        int total = 0;
        for (SegmentManifest.FileEntry f : m.files()) {
            try (SegmentFileReader r = SegmentFileReader.open(cached(f), f.key())) {
                SegmentRows read = r.readAll(SegmentProjection.all(schema));
                if (rows.getColumnsCount() == 0) {
                    rows.addAllColumns(read.columns());
                } else {
                    throw new StreamingException(ErrorCode.DATA_CORRUPTED, "segment " + m.segmentId()
                            + " lists more than one data file; this node reads one");
                }
                ticks.add(read.rowTimeTicks());
                total += read.rowCount();
            }
        }
        long[] all = new long[total];
        int at = 0;
        for (long[] t : ticks) {
            System.arraycopy(t, 0, all, at, t.length);
            at += t.length;
        }
        return ShardSegment.sealed(m.segmentId(), m.partitionId(), schema, rows.setNumRows(total).build(), all);
    }

    /**
     * Reads a flushed segment's sealed form once its manifest is in object storage (the flusher writes it some time
     * after the Flush), retrying with backoff (100 ms doubling to 5 s) while it is missing or reading fails, for as
     * long as {@code wanted} says; then gives it to {@code done}, on a loader thread.
     *
     * @param schema the collection's current schema, asked at each attempt
     */
    void whenFlushed(ScheduledExecutorService loaders, long collectionId, long segmentId,
                     Supplier<CollectionSchema> schema, BooleanSupplier wanted, Consumer<SealedSegment> done) {
        whenFlushed(loaders, collectionId, segmentId, schema, wanted, done, 0);
    }

    private void whenFlushed(ScheduledExecutorService loaders, long collectionId, long segmentId,
                             Supplier<CollectionSchema> schema, BooleanSupplier wanted, Consumer<SealedSegment> done,
                             int attempt) {
        loaders.schedule(() -> {
            if (!wanted.getAsBoolean()) {
                return;
            }
            try {
                Optional<SegmentManifest> manifest = segmentManifest(collectionId, segmentId);
                if (manifest.isPresent()) {
                    done.accept(segment(manifest.get(), schema.get()));
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("reading segment {} of collection {} from object storage failed (attempt {}); retrying: {}",
                        segmentId, collectionId, attempt + 1, e.toString());
            }
            whenFlushed(loaders, collectionId, segmentId, schema, wanted, done, attempt + 1);
        }, attempt == 0 ? 0 : backoffMillis(attempt - 1), TimeUnit.MILLISECONDS);
    }

    /** 100 ms doubling up to 5 s. */
    static long backoffMillis(int attempt) {
        return Math.min(5_000, 100L << Math.min(attempt, 6));
    }

    /** The deletes of a delete log. */
    List<DeleteLogRows> deletes(SegmentManifest m) {
        List<DeleteLogRows> out = new ArrayList<>();
        for (SegmentManifest.FileEntry f : m.files()) {
            try (DeleteLogReader r = DeleteLogReader.open(cached(f), f.key())) {
                out.add(r.readAll());
            }
        }
        return out;
    }

    /** The local copy of a file, downloaded and checked if need be. */
    private Path cached(SegmentManifest.FileEntry f) {
        Path local = cache.resolve(f.key()).normalize();
        if (!local.startsWith(cache.normalize())) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "a manifest names file " + f.key()
                    + ", outside the collection's keys");
        }
        if (Files.exists(local)) {
            try {
                FileChecksum.verify(local, f);
                files.used(local, f.bytes());
                return local;
            } catch (StreamingException e) {
                // a torn or stale copy: download again
            }
        }
        byte[] bytes = objects.get(f.key()).orElseThrow(() -> new StreamingException(ErrorCode.DATA_CORRUPTED,
                "file " + f.key() + " named by its manifest is not in object storage"));
        FileChecksum.verify(bytes, f);
        try {
            Files.createDirectories(local.getParent());
            Path tmp = Files.createTempFile(local.getParent(), local.getFileName().toString(),
                    LocalFileCache.TEMPORARY_SUFFIX);
            Files.write(tmp, bytes);
            Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw StreamingException.inner("cannot cache " + f.key() + " in " + cache, e);
        }
        files.added(local, bytes.length);
        return local;
    }
}
