package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.Column;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RowValidatorTest {
    static final CollectionSchema SCHEMA = Schemas.everyType();
    final RowValidator validator = RowValidator.of(SCHEMA);

    /** A valid batch of {@code rows} rows for {@link Schemas#everyType()}. */
    static InsertBody batch(int rows) {
        Int64Array.Builder id = Int64Array.newBuilder();
        StringArray.Builder title = StringArray.newBuilder();
        DoubleArray.Builder price = DoubleArray.newBuilder();
        FloatVectorArray.Builder emb = FloatVectorArray.newBuilder().setDim(4);
        BoolArray.Builder flag = BoolArray.newBuilder();
        Int32Array.Builder count = Int32Array.newBuilder();
        FloatArray.Builder score = FloatArray.newBuilder();
        JsonArray.Builder meta = JsonArray.newBuilder();
        for (int i = 0; i < rows; i++) {
            id.addValues(i);
            title.addValues("t" + i);
            price.addValues(i * 1.5);
            emb.addValues(0.1f).addValues(0.2f).addValues(0.3f).addValues(i);
            flag.addValues(i % 2 == 0);
            count.addValues(i);
            score.addValues(i);
            meta.addValues(ByteString.copyFromUtf8("{\"i\": " + i + "}"));
        }
        return InsertBody.newBuilder().setNumRows(rows)
                .addColumns(Column.newBuilder().setFieldName("id").setInt64S(id))
                .addColumns(Column.newBuilder().setFieldName("title").setStrings(title))
                .addColumns(Column.newBuilder().setFieldName("price").setDoubles(price))
                .addColumns(Column.newBuilder().setFieldName("emb").setFloatVectors(emb))
                .addColumns(Column.newBuilder().setFieldName("flag").setBools(flag))
                .addColumns(Column.newBuilder().setFieldName("count").setInt32S(count))
                .addColumns(Column.newBuilder().setFieldName("score").setFloats(score))
                .addColumns(Column.newBuilder().setFieldName("meta").setJsons(meta))
                .build();
    }

    /** {@code body} with the column of {@code field} changed. */
    static InsertBody withColumn(InsertBody body, String field, UnaryOperator<Column.Builder> change) {
        InsertBody.Builder b = body.toBuilder();
        for (Column.Builder c : b.getColumnsBuilderList()) {
            if (c.getFieldName().equals(field)) {
                change.apply(c);
            }
        }
        return b.build();
    }

    static InsertBody without(InsertBody body, String field) {
        InsertBody.Builder b = body.toBuilder().clearColumns();
        body.getColumnsList().stream().filter(c -> !c.getFieldName().equals(field)).forEach(b::addColumns);
        return b.build();
    }

    static List<Boolean> validity(int rows, int nullRow) {
        List<Boolean> v = new ArrayList<>(Collections.nCopies(rows, true));
        v.set(nullRow, false);
        return v;
    }

    void rejected(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageContaining(message);
    }

    @Test
    void aBatchWithAColumnOfEveryTypeIsValid() {
        assertThatCode(() -> validator.checkInsert(batch(50))).doesNotThrowAnyException();
    }

    @Test
    void anInsertNeedsAtLeastOneRow() {
        rejected(() -> validator.checkInsert(InsertBody.getDefaultInstance()), "num_rows >= 1, got 0");
    }

    @Test
    void aMissingFieldIsRejectedNamingItUnlessItIsNullable() {
        rejected(() -> validator.checkInsert(without(batch(3), "title")), "field 'title' is missing");
        rejected(() -> validator.checkInsert(without(batch(3), "id")), "field 'id' is missing (the primary key)");
        assertThatCode(() -> validator.checkInsert(without(without(batch(3), "price"), "meta"))).doesNotThrowAnyException();
    }

    @Test
    void aColumnOfAnotherTypeIsRejectedNamingTheField() {
        rejected(() -> validator.checkInsert(withColumn(batch(3), "count",
                c -> c.setInt64S(Int64Array.newBuilder().addValues(1).addValues(2).addValues(3)))),
                "field 'count' is INT32 but its column holds int64s");
        rejected(() -> validator.checkInsert(withColumn(batch(3), "flag", Column.Builder::clearValues)),
                "field 'flag' is BOOL but its column holds no values");
    }

    @Test
    void unknownAndRepeatedColumnsAreRejected() {
        InsertBody body = batch(2);
        rejected(() -> validator.checkInsert(body.toBuilder().addColumns(Column.newBuilder().setFieldName("nope")
                .setBools(BoolArray.newBuilder().addValues(true).addValues(false))).build()),
                "field 'nope' is not in the schema (version 1)");
        rejected(() -> validator.checkInsert(body.toBuilder().addColumns(body.getColumns(4)).build()),
                "field 'flag' has two columns");
    }

    @Test
    void everyColumnHoldsOneValuePerRow() {
        rejected(() -> validator.checkInsert(withColumn(batch(3), "score",
                c -> c.setFloats(FloatArray.newBuilder().addValues(1).addValues(2)))),
                "field 'score' has 2 values for 3 rows");
        rejected(() -> validator.checkInsert(withColumn(batch(3), "emb",
                c -> c.setFloatVectors(c.getFloatVectors().toBuilder().addValues(1)))),
                "field 'emb' has 13 floats (dimension 4) for 3 rows");
    }

    @Test
    void aVectorOfAnotherDimensionIsRejected() {
        rejected(() -> validator.checkInsert(withColumn(batch(2), "emb",
                c -> c.setFloatVectors(FloatVectorArray.newBuilder().setDim(2).addValues(1).addValues(2)
                        .addValues(3).addValues(4)))),
                "field 'emb' has dimension 4, the column's vectors have 2");
    }

    @Test
    void aVectorWithANonFiniteElementIsRejectedNamingTheRow() {
        rejected(() -> validator.checkInsert(withColumn(batch(3), "emb",
                c -> c.setFloatVectors(c.getFloatVectors().toBuilder().setValues(9, Float.NaN)))),
                "field 'emb' row 2: vector element 1 is NaN");
    }

    @Test
    void aVarcharLongerThanItsMaxLengthInUtf8BytesIsRejectedNamingTheRow() {
        String sixteenBytes = "\u00e9".repeat(8);
        assertThatCode(() -> validator.checkInsert(withColumn(batch(3), "title",
                c -> c.setStrings(c.getStrings().toBuilder().setValues(1, sixteenBytes))))).doesNotThrowAnyException();
        rejected(() -> validator.checkInsert(withColumn(batch(3), "title",
                c -> c.setStrings(c.getStrings().toBuilder().setValues(2, "\u00e9".repeat(9))))),
                "field 'title' row 2: 18 UTF-8 bytes exceed max_length 16");
    }

    @Test
    void aNullInAFieldThatIsNotNullableIsRejectedNamingTheRow() {
        rejected(() -> validator.checkInsert(withColumn(batch(5), "id", c -> c.addAllValid(validity(5, 3)))),
                "field 'id' row 3 is null, but the field is not nullable (the primary key)");
        rejected(() -> validator.checkInsert(withColumn(batch(5), "title", c -> c.addAllValid(validity(5, 0)))),
                "field 'title' row 0 is null");
        rejected(() -> validator.checkInsert(withColumn(batch(5), "price", c -> c.addValid(true))),
                "field 'price' has 1 validity flags for 5 rows");
    }

    @Test
    void theValueOfANullRowIsAPlaceholderThatIsNotChecked() {
        InsertBody body = withColumn(batch(3), "meta", c -> c.setJsons(c.getJsons().toBuilder()
                .setValues(1, ByteString.copyFromUtf8("not json"))).addAllValid(validity(3, 1)));
        assertThatCode(() -> validator.checkInsert(body)).doesNotThrowAnyException();
    }

    @Test
    void jsonThatDoesNotParseIsRejectedNamingTheRow() {
        rejected(() -> validator.checkInsert(withColumn(batch(4), "meta", c -> c.setJsons(c.getJsons().toBuilder()
                .setValues(3, ByteString.copyFromUtf8("{\"a\": }"))))),
                "field 'meta' row 3: not valid JSON: unexpected character '}' at byte 6");
    }

    @Test
    void aDeleteNeedsPrimaryKeysOfTheKeysType() {
        assertThat(validator.checkDelete(DeleteBody.newBuilder()
                .setIntPks(Int64Array.newBuilder().addValues(1).addValues(2)).build())).isEqualTo(2);
        rejected(() -> validator.checkDelete(DeleteBody.newBuilder()
                .setStringPks(StringArray.newBuilder().addValues("a")).build()), "needs int_pks: the primary key is INT64");
        rejected(() -> validator.checkDelete(DeleteBody.getDefaultInstance()), "a delete needs primary keys (field 'id')");
        rejected(() -> validator.checkDelete(DeleteBody.newBuilder().setIntPks(Int64Array.getDefaultInstance()).build()),
                "at least one primary key");

        RowValidator byName = RowValidator.of(CollectionSchema.newBuilder().addFields(FieldSchema.newBuilder()
                .setName("name").setType(DataType.VARCHAR).setMaxLength(3).setPrimaryKey(true)).build());
        assertThat(byName.checkDelete(DeleteBody.newBuilder().setStringPks(StringArray.newBuilder().addValues("abc")).build()))
                .isEqualTo(1);
        rejected(() -> byName.checkDelete(DeleteBody.newBuilder()
                .setStringPks(StringArray.newBuilder().addValues("abc").addValues("abcd")).build()),
                "field 'name' row 1: 4 UTF-8 bytes exceed max_length 3");
        rejected(() -> byName.checkDelete(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(1)).build()),
                "needs string_pks");
    }

    @Test
    void aBatchParsedFromTheWireIsCheckedLikeTheBuiltOne() throws Exception {
        InsertBody wire = InsertBody.parseFrom(withColumn(batch(3), "title",
                c -> c.setStrings(c.getStrings().toBuilder().setValues(1, "x".repeat(17)))).toByteString());
        rejected(() -> validator.checkInsert(wire), "field 'title' row 1: 17 UTF-8 bytes exceed max_length 16");
    }
}
