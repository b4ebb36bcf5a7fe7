package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.RowValidator;
import io.tidelog.message.SchemaJson;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.CollectionSchema;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * Writes the deletes of one vchannel over a range of time ticks to a local Parquet delete log (ZSTD), laid
 * out as {@link ParquetLayout} says: one row per deleted primary key ({@value ParquetLayout#DELETE_PK}, of
 * the collection's key type) with the delete's time tick ({@value ParquetLayout#DELETE_TIME_TICK}), in log
 * order. Deletes apply to every partition of the collection, so a delete log belongs to no segment.
 *
 * <p>Stateless apart from its configuration: thread-safe, and every {@link #write} is independent.
 */
public final class DeleteLogWriter {
    private final ParquetConfig config;

    public DeleteLogWriter(ParquetConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Writes the keys of {@code deletes}, in order, to {@code file}, replacing any file there. The file is
     * complete when this returns; on failure it is deleted. Nothing is synced.
     *
     * @param file         where to write
     * @param collectionId the collection (positive)
     * @param vchannel     the vchannel the deletes were read from
     * @param schema       the collection's schema: its primary key's type is the key column's type
     * @param deletes      the deletes in log order (time ticks never decrease); at least one
     * @return the number of keys, size, time tick range and checksum of the file
     * @throws StreamingException {@code INVALID_ARGUMENT} if there is no delete, an id, the vchannel or the
     *         schema is not valid, a delete's keys are not of the primary key's type (the message names the
     *         delete), or a time tick is negative or smaller than the one before; {@code INNER} if writing fails
     */
    public FileSummary write(Path file, long collectionId, String vchannel, CollectionSchema schema,
                             List<DeletedKeys> deletes) {
        Objects.requireNonNull(file, "file");
        if (collectionId < 1) {
            throw StreamingException.invalidArgument("a delete log needs a positive collection id, got " + collectionId);
        }
        Vchannels.validateVchannel(vchannel);
        if (deletes.isEmpty()) {
            throw StreamingException.invalidArgument("no deletes for vchannel '" + vchannel
                    + "': a delete log has at least one key");
        }
        RowValidator validator = RowValidator.of(schema);
        long rows = check(validator, vchannel, deletes);
        DeleteWriteSupport support = new DeleteWriteSupport(CollectionSchemas.primaryKey(schema),
                footer(collectionId, vchannel, schema));
        RowCursor cursor = new RowCursor();
        ChecksummingOutputFile out = ParquetFiles.write(file, support, config, List.of(),
                (ParquetWriter<RowCursor> writer) -> {
                    for (DeletedKeys delete : deletes) {
                        support.bind(delete);
                        for (int row = 0, n = keyCount(delete); row < n; row++) {
                            writer.write(cursor.at(row));
                        }
                    }
                });
        return new FileSummary(rows, out.bytes(), deletes.get(0).timeTick(),
                deletes.get(deletes.size() - 1).timeTick(), out.crc32c());
    }

    private static long check(RowValidator validator, String vchannel, List<DeletedKeys> deletes) {
        long rows = 0;
        long previous = 0;
        for (int i = 0; i < deletes.size(); i++) {
            DeletedKeys delete = deletes.get(i);
            String where = "vchannel '" + vchannel + "', delete " + i + " (time tick " + delete.timeTick() + ")";
            if (delete.timeTick() < 0) {
                throw StreamingException.invalidArgument(where + ": a time tick is never negative");
            }
            if (delete.timeTick() < previous) {
                throw StreamingException.invalidArgument(where + ": time ticks decrease (the previous delete has "
                        + previous + "); deletes must be in log order");
            }
            previous = delete.timeTick();
            try {
                rows += validator.checkDelete(delete.body());
            } catch (StreamingException e) {
                throw new StreamingException(e.code(), where + ": " + e.detail(), e);
            }
        }
        return rows;
    }

    private static int keyCount(DeletedKeys delete) {
        return delete.body().hasStringPks() ? delete.body().getStringPks().getValuesCount()
                : delete.body().getIntPks().getValuesCount();
    }

    private static Map<String, String> footer(long collectionId, String vchannel, CollectionSchema schema) {
        return Map.of(
                ParquetLayout.FORMAT, Integer.toString(ParquetLayout.FORMAT_VERSION),
                ParquetLayout.KIND, ParquetLayout.KIND_DELETES,
                ParquetLayout.COLLECTION_ID, Long.toString(collectionId),
                ParquetLayout.VCHANNEL, vchannel,
                ParquetLayout.SCHEMA_VERSION, Integer.toString(schema.getVersion()),
                ParquetLayout.SCHEMA, SchemaJson.toJson(schema));
    }
}
