package io.tidelog.parquet;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;

/** Collection schemas for the tests. */
final class TestSchemas {
    private TestSchemas() {
    }

    static FieldSchema field(String name, DataType type, long fieldId) {
        return FieldSchema.newBuilder().setName(name).setType(type).setFieldId(fieldId).build();
    }

    static FieldSchema nullable(String name, DataType type, long fieldId) {
        return field(name, type, fieldId).toBuilder().setNullable(true).build();
    }

    static FieldSchema varchar(String name, int maxLength, boolean nullable, long fieldId) {
        return field(name, DataType.VARCHAR, fieldId).toBuilder().setMaxLength(maxLength).setNullable(nullable).build();
    }

    static FieldSchema vector(String name, int dim, long fieldId) {
        return field(name, DataType.FLOAT_VECTOR, fieldId).toBuilder().setDim(dim).build();
    }

    /**
     * Version 1 of a schema with every type, nullable and not, two vectors (dim 4 and 128) and the given
     * primary key type; version 2 adds the nullable field {@code note} ({@link #everyTypeV2}).
     */
    static CollectionSchema everyTypeV1(DataType primaryKeyType) {
        FieldSchema pk = primaryKeyType == DataType.VARCHAR ? varchar("pk", 40, false, 100)
                : field("pk", DataType.INT64, 100);
        return CollectionSchema.newBuilder().setVersion(1)
                .addFields(pk.toBuilder().setPrimaryKey(true))
                .addFields(field("flag", DataType.BOOL, 101))
                .addFields(nullable("maybe_flag", DataType.BOOL, 102))
                .addFields(field("count", DataType.INT32, 103))
                .addFields(nullable("maybe_count", DataType.INT32, 104))
                .addFields(field("big", DataType.INT64, 105))
                .addFields(nullable("maybe_big", DataType.INT64, 106))
                .addFields(field("score", DataType.FLOAT, 107))
                .addFields(nullable("maybe_score", DataType.FLOAT, 108))
                .addFields(field("price", DataType.DOUBLE, 109))
                .addFields(nullable("maybe_price", DataType.DOUBLE, 110))
                .addFields(varchar("title", 48, false, 111))
                .addFields(varchar("maybe_title", 48, true, 112))
                .addFields(field("doc", DataType.JSON, 113))
                .addFields(nullable("maybe_doc", DataType.JSON, 114))
                .addFields(vector("small", 4, 115))
                .addFields(vector("wide", 128, 116))
                .build();
    }

    /** {@link #everyTypeV1} after an AlterCollection added the nullable VARCHAR field {@code note}. */
    static CollectionSchema everyTypeV2(DataType primaryKeyType) {
        return everyTypeV1(primaryKeyType).toBuilder().setVersion(2)
                .addFields(varchar("note", 32, true, 117))
                .build();
    }
}
