package io.tidelog.parquet;

import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.StringArray;
import java.nio.file.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;

/**
 * Reads a delete log ({@link DeleteLogWriter}, {@link ParquetLayout}) back: its footer and its keys with
 * their time ticks ({@link DeleteLogRows}), all at once (delete logs are small: a key and a time tick per
 * delete). Runs without Hadoop, through the same parquet-java parts as {@link SegmentFileReader}, whose
 * class comment says which and why; its integrity checks and its contract on threads and memory hold here
 * too (the read holds every key of the log).
 */
public final class DeleteLogReader implements AutoCloseable {
    private final ParquetFileColumns file;
    private final DeleteLogFooter footer;

    private DeleteLogReader(ParquetFileColumns file) {
        this.file = file;
        try {
            this.footer = new DeleteLogFooter(file.number(ParquetLayout.COLLECTION_ID),
                    file.text(ParquetLayout.VCHANNEL), file.schemaVersion(),
                    file.schema(), file.totalRows());
        } catch (RuntimeException e) {
            file.close();
            throw file.corrupted(e);
        }
    }

    /**
     * Opens the delete log at {@code file} and reads its footer.
     *
     * @param key the file's object store key, named in every error
     * @throws StreamingException {@code DATA_CORRUPTED} if it is not a readable delete log of this layout,
     *         {@code INNER} if it cannot be opened
     */
    public static DeleteLogReader open(Path file, String key) {
        return new DeleteLogReader(new ParquetFileColumns(ByteSource.of(file, key), ParquetLayout.KIND_DELETES,
                s -> ParquetLayout.deleteLogSchema(CollectionSchemas.primaryKey(s))));
    }

    /** Like {@link #open(Path, String)}, for a file in memory (not copied: do not change it). */
    public static DeleteLogReader open(byte[] bytes, String key) {
        return new DeleteLogReader(new ParquetFileColumns(ByteSource.of(bytes, key), ParquetLayout.KIND_DELETES,
                s -> ParquetLayout.deleteLogSchema(CollectionSchemas.primaryKey(s))));
    }

    public DeleteLogFooter footer() {
        return footer;
    }

    /**
     * Every key of the log with its time tick, in log order.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} as {@link SegmentFileReader} says, or if the time
     *         ticks decrease; {@code INVALID_ARGUMENT} if the log has more keys than an array holds
     */
    public DeleteLogRows readAll() {
        file.checkOpen();
        if (footer.rows() > Integer.MAX_VALUE - 8) {
            throw StreamingException.invalidArgument("delete log " + file.key() + " has " + footer.rows()
                    + " keys, too many to read at once");
        }
        boolean strings = CollectionSchemas.primaryKey(footer.schema()).getType() == DataType.VARCHAR;
        ColumnDescriptor pk = file.parquetSchema().getColumnDescription(new String[] {ParquetLayout.DELETE_PK});
        ColumnDescriptor tt = file.parquetSchema().getColumnDescription(new String[] {ParquetLayout.DELETE_TIME_TICK});
        Int64Array.Builder longs = Int64Array.newBuilder();
        StringArray.Builder texts = StringArray.newBuilder();
        long[] ticks = new long[(int) footer.rows()];
        try {
            int at = 0;
            for (int g = 0; g < file.rowGroupCount(); g++) {
                int rows = file.rowCount(g);
                ColumnReader keys = file.column(g, pk);
                ColumnReader times = file.column(g, tt);
                for (int r = 0; r < rows; r++, at++) {
                    if (strings) {
                        texts.addValuesBytes(ByteString.copyFrom(keys.getBinary().toByteBuffer()));
                    } else {
                        longs.addValues(keys.getLong());
                    }
                    ticks[at] = times.getLong();
                    if (ticks[at] < (at == 0 ? 0 : ticks[at - 1])) {
                        throw file.corrupted("has time tick " + ticks[at] + " at key " + at + ", after "
                                + (at == 0 ? 0 : ticks[at - 1]) + ": time ticks never decrease and are never negative");
                    }
                    keys.consume();
                    times.consume();
                }
            }
        } catch (RuntimeException e) {
            throw file.corrupted(e);
        }
        DeleteBody body = strings ? DeleteBody.newBuilder().setStringPks(texts).build()
                : DeleteBody.newBuilder().setIntPks(longs).build();
        return new DeleteLogRows(body, ticks);
    }


    @Override
    public void close() {
        file.close();
    }
}
