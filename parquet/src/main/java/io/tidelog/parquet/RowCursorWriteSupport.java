package io.tidelog.parquet;

import java.util.Map;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * What the segment and delete-log write supports share: a fixed Parquet schema and footer, and the record
 * consumer parquet-java hands over. Subclasses write the row at a {@link RowCursor}. Owned by one writer on one
 * thread.
 */
abstract class RowCursorWriteSupport extends WriteSupport<RowCursor> {
    private final MessageType parquetSchema;
    private final Map<String, String> footer;
    /** Set by parquet-java before the first write. */
    protected RecordConsumer out;

    RowCursorWriteSupport(MessageType parquetSchema, Map<String, String> footer) {
        this.parquetSchema = parquetSchema;
        this.footer = Map.copyOf(footer);
    }

    MessageType parquetSchema() {
        return parquetSchema;
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
        return new WriteContext(parquetSchema, footer);
    }

    @Override
    @SuppressWarnings("deprecation")
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
        return new WriteContext(parquetSchema, footer);
    }

    @Override
    public String getName() {
        return "tidelog";
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.out = recordConsumer;
    }
}
