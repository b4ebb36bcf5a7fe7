package io.tidelog.message;

import static io.tidelog.message.Schemas.field;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class CollectionSchemasTest {
    static final FieldSchema ID = field("id", DataType.INT64).toBuilder().setPrimaryKey(true).build();

    static CollectionSchema schema(FieldSchema... fields) {
        return CollectionSchema.newBuilder().setVersion(1).addAllFields(java.util.List.of(fields)).build();
    }

    static void rejected(ThrowingCallable call, String... parts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class,
                e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContainingAll(parts);
    }

    @Test
    void aSchemaOfEveryTypeIsValid() {
        assertThatCode(() -> CollectionSchemas.validate(Schemas.everyType())).doesNotThrowAnyException();
    }

    @Test
    void aSchemaNeedsExactlyOnePrimaryKeyOfInt64OrVarcharThatIsNotNullable() {
        rejected(() -> CollectionSchemas.validate(schema(field("a", DataType.INT64))), "exactly one primary key", "0");
        rejected(() -> CollectionSchemas.validate(schema(ID, field("b", DataType.VARCHAR).toBuilder().setPrimaryKey(true).build())),
                "exactly one primary key", "2");
        rejected(() -> CollectionSchemas.validate(schema(field("f", DataType.FLOAT).toBuilder().setPrimaryKey(true).build())),
                "field 'f'", "INT64 or VARCHAR");
        rejected(() -> CollectionSchemas.validate(schema(ID.toBuilder().setNullable(true).build())),
                "field 'id'", "cannot be nullable");
    }

    @Test
    void fieldsNeedUniqueNamesKnownTypesLengthsAndDimensions() {
        rejected(() -> CollectionSchemas.validate(schema(ID, ID)), "field 'id' appears twice");
        rejected(() -> CollectionSchemas.validate(schema(ID, FieldSchema.newBuilder().setName("x").build())),
                "field 'x' has no known type");
        rejected(() -> CollectionSchemas.validate(schema(ID, field("s", DataType.VARCHAR).toBuilder().setMaxLength(0).build())),
                "field 's'", "max_length");
        rejected(() -> CollectionSchemas.validate(schema(ID, field("v", DataType.FLOAT_VECTOR).toBuilder().setDim(0).build())),
                "field 'v'", "dim");
        rejected(() -> CollectionSchemas.validate(schema()), "at least one field");
    }

    @Test
    void aChangeMayOnlyAddNullableFieldsUnderAGreaterVersion() {
        CollectionSchema v1 = schema(ID, field("a", DataType.INT32));
        CollectionSchema v2 = v1.toBuilder().setVersion(2)
                .addFields(field("b", DataType.DOUBLE).toBuilder().setNullable(true)).build();
        assertThatCode(() -> CollectionSchemas.validateChange(v1, v2)).doesNotThrowAnyException();

        rejected(() -> CollectionSchemas.validateChange(v1, v2.toBuilder().setVersion(1).build()), "version 1", "greater");
        rejected(() -> CollectionSchemas.validateChange(v1, v1.toBuilder().setVersion(2)
                .addFields(field("c", DataType.DOUBLE)).build()), "field 'c'", "nullable");
        rejected(() -> CollectionSchemas.validateChange(v1, schema(ID).toBuilder().setVersion(2).build()),
                "field 'a' cannot be removed");
        rejected(() -> CollectionSchemas.validateChange(v1, schema(ID, field("a", DataType.INT64)).toBuilder().setVersion(2).build()),
                "field 'a' cannot be changed");
    }
}
