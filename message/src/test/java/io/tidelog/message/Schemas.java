package io.tidelog.message;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;

/** Schemas for tests. */
final class Schemas {
    private Schemas() {
    }

    static FieldSchema field(String name, DataType type) {
        FieldSchema.Builder b = FieldSchema.newBuilder().setName(name).setType(type);
        if (type == DataType.VARCHAR) {
            b.setMaxLength(16);
        }
        if (type == DataType.FLOAT_VECTOR) {
            b.setDim(4);
        }
        return b.build();
    }

    /** DESIGN.md's example plus one field of every other type: id INT64 key, title VARCHAR(16), price DOUBLE null, emb FLOAT_VECTOR(4)... */
    static CollectionSchema everyType() {
        return CollectionSchema.newBuilder().setVersion(1)
                .addFields(field("id", DataType.INT64).toBuilder().setPrimaryKey(true).setFieldId(100))
                .addFields(field("title", DataType.VARCHAR).toBuilder().setFieldId(101))
                .addFields(field("price", DataType.DOUBLE).toBuilder().setNullable(true).setFieldId(102))
                .addFields(field("emb", DataType.FLOAT_VECTOR).toBuilder().setFieldId(103))
                .addFields(field("flag", DataType.BOOL).toBuilder().setFieldId(104))
                .addFields(field("count", DataType.INT32).toBuilder().setFieldId(105))
                .addFields(field("score", DataType.FLOAT).toBuilder().setFieldId(106))
                .addFields(field("meta", DataType.JSON).toBuilder().setNullable(true).setFieldId(107))
                .build();
    }
}
