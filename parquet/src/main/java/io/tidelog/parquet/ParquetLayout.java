package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The layout of Tidelog's Parquet files: their columns and footer keys. Any Parquet reader (DuckDB,
 * Spark, pyarrow) reads them; Tidelog's own readers rely on what is written here.
 *
 * <p><b>Segment file</b> ({@link SegmentParquetWriter}): one column per field of the collection schema, in
 * schema order and named by the field, then {@value #ROW_TIME_TICK}. The rows are in log order, so
 * {@value #ROW_TIME_TICK} never decreases.
 * <pre>
 * schema type    Parquet column                                   DuckDB reads
 * BOOL           boolean                                          BOOLEAN
 * INT32          int32                                            INTEGER
 * INT64          int64                                            BIGINT
 * FLOAT          float                                            FLOAT
 * DOUBLE         double                                           DOUBLE
 * VARCHAR        binary (STRING)                                  VARCHAR
 * JSON           binary (JSON)                                    JSON (text)
 * FLOAT_VECTOR   group (LIST) { repeated group list {             FLOAT[]
 *                    required float element; } }
 * _row_time_tick int64, required: the insert's time tick           BIGINT
 * </pre>
 * A nullable field's column is {@code optional}, every other column {@code required}. The primary key is
 * the user's field, not a copy. A FLOAT_VECTOR is a standard three-level LIST whose every row has exactly
 * the field's {@code dim} elements: Parquet has no fixed-size list, so the dimension is the schema's
 * ({@value #SCHEMA} in the footer). A field with an id in [1, 2^31) carries it as the Parquet field id.
 *
 * <p><b>Delete log</b> ({@link DeleteLogWriter}): {@value #DELETE_PK} (int64, or binary STRING when the
 * primary key is VARCHAR) and {@value #DELETE_TIME_TICK} (int64), both required, in log order.
 *
 * <p><b>Footer</b> key/value metadata of both: {@value #FORMAT} ({@value #FORMAT_VERSION}), {@value #KIND}
 * ({@value #KIND_SEGMENT} or {@value #KIND_DELETES}), {@value #COLLECTION_ID}, {@value #VCHANNEL},
 * {@value #SCHEMA_VERSION} and {@value #SCHEMA} (the schema in {@code SchemaJson}'s form); a segment file
 * also {@value #PARTITION_ID} and {@value #SEGMENT_ID}. Numbers are decimal text.
 */
public final class ParquetLayout {
    /** The time tick of the insert that wrote each row of a segment file. */
    public static final String ROW_TIME_TICK = "_row_time_tick";
    /** The deleted primary key of each row of a delete log. */
    public static final String DELETE_PK = "pk";
    /** The time tick of the delete of each row of a delete log. */
    public static final String DELETE_TIME_TICK = "_delete_time_tick";

    /** The name of the repeated group of a vector column's LIST (the Parquet spec's name). */
    public static final String LIST_GROUP = "list";
    /** The name of the element of a vector column's LIST (the Parquet spec's name). */
    public static final String LIST_ELEMENT = "element";

    public static final String FORMAT = "tidelog.format";
    /** The layout this class describes; a reader refuses files of another. */
    public static final int FORMAT_VERSION = 1;
    public static final String KIND = "tidelog.kind";
    public static final String KIND_SEGMENT = "segment";
    public static final String KIND_DELETES = "deletes";
    public static final String COLLECTION_ID = "tidelog.collection_id";
    public static final String PARTITION_ID = "tidelog.partition_id";
    public static final String SEGMENT_ID = "tidelog.segment_id";
    public static final String VCHANNEL = "tidelog.vchannel";
    public static final String SCHEMA_VERSION = "tidelog.schema_version";
    public static final String SCHEMA = "tidelog.schema";

    private static final String MESSAGE_NAME = "tidelog_segment";
    private static final String DELETE_MESSAGE_NAME = "tidelog_deletes";

    private ParquetLayout() {
    }

    /**
     * The Parquet schema of a segment file of {@code schema} (a valid schema).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if a field is named {@value #ROW_TIME_TICK}
     */
    public static MessageType segmentSchema(CollectionSchema schema) {
        List<Type> columns = new ArrayList<>(schema.getFieldsCount() + 1);
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getName().equals(ROW_TIME_TICK)) {
                throw StreamingException.invalidArgument("field '" + ROW_TIME_TICK
                        + "' collides with the system column of that name in segment files");
            }
            columns.add(column(f));
        }
        columns.add(Types.required(PrimitiveTypeName.INT64).named(ROW_TIME_TICK));
        return new MessageType(MESSAGE_NAME, columns);
    }

    /** The Parquet schema of a delete log of a collection whose primary key is {@code primaryKey}. */
    public static MessageType deleteLogSchema(FieldSchema primaryKey) {
        Type pk = primaryKey.getType() == DataType.VARCHAR
                ? Types.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(DELETE_PK)
                : Types.required(PrimitiveTypeName.INT64).named(DELETE_PK);
        return new MessageType(DELETE_MESSAGE_NAME, pk,
                Types.required(PrimitiveTypeName.INT64).named(DELETE_TIME_TICK));
    }

    private static Type column(FieldSchema f) {
        Type.Repetition repetition = f.getNullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
        Type t = switch (f.getType()) {
            case BOOL -> Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(f.getName());
            case INT32 -> Types.primitive(PrimitiveTypeName.INT32, repetition).named(f.getName());
            case INT64 -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(f.getName());
            case FLOAT -> Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(f.getName());
            case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(f.getName());
            case VARCHAR -> Types.primitive(PrimitiveTypeName.BINARY, repetition)
                    .as(LogicalTypeAnnotation.stringType()).named(f.getName());
            case JSON -> Types.primitive(PrimitiveTypeName.BINARY, repetition)
                    .as(LogicalTypeAnnotation.jsonType()).named(f.getName());
            case FLOAT_VECTOR -> Types.list(repetition).requiredElement(PrimitiveTypeName.FLOAT).named(f.getName());
            default -> throw StreamingException.invalidArgument("field '" + f.getName() + "' has type "
                    + f.getType() + ", which has no Parquet column");
        };
        return f.getFieldId() > 0 && f.getFieldId() <= Integer.MAX_VALUE ? t.withId((int) f.getFieldId()) : t;
    }
}
