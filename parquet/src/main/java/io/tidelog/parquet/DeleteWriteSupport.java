package io.tidelog.parquet;

import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.FieldSchema;
import java.util.Map;
import org.apache.parquet.io.api.Binary;

/**
 * Feeds the keys of {@link DeletedKeys} to parquet-java as rows of a delete log ({@link ParquetLayout}):
 * {@link #bind} selects a delete, each {@code write(cursor)} writes its key at the cursor. The deletes must
 * have been checked against the primary key's type. Owned by one writer on one thread.
 */
final class DeleteWriteSupport extends RowCursorWriteSupport {
    private DeleteBody body;
    private long timeTick;

    DeleteWriteSupport(FieldSchema primaryKey, Map<String, String> footer) {
        super(ParquetLayout.deleteLogSchema(primaryKey), footer);
    }

    void bind(DeletedKeys delete) {
        this.body = delete.body();
        this.timeTick = delete.timeTick();
    }

    @Override
    public void write(RowCursor cursor) {
        int row = cursor.row();
        out.startMessage();
        out.startField(ParquetLayout.DELETE_PK, 0);
        if (body.getPksCase() == DeleteBody.PksCase.STRING_PKS) {
            out.addBinary(Binary.fromConstantByteArray(body.getStringPks().getValuesBytes(row).toByteArray()));
        } else {
            out.addLong(body.getIntPks().getValues(row));
        }
        out.endField(ParquetLayout.DELETE_PK, 0);
        out.startField(ParquetLayout.DELETE_TIME_TICK, 1);
        out.addLong(timeTick);
        out.endField(ParquetLayout.DELETE_TIME_TICK, 1);
        out.endMessage();
    }
}
