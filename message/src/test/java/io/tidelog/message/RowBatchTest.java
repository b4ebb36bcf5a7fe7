package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.InsertBody;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowBatchTest {
    static final CollectionSchema SCHEMA = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 8},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "n", "type": "INT32", "nullable": true},
                        {"name": "ok", "type": "BOOL", "nullable": true},
                        {"name": "f", "type": "FLOAT", "nullable": true},
                        {"name": "doc", "type": "JSON", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 3}]}""");

    final RowBatch batch = new RowBatch(SCHEMA);

    static void rejected(Map<String, Object> row, String... fragments) {
        RowBatch b = new RowBatch(SCHEMA);
        assertThatThrownBy(() -> b.add(row, 7))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageStartingWith("INVALID_ARGUMENT: row 7: ")
                .hasMessageContainingAll(fragments);
        assertThat(b.rowCount()).isZero();
    }

    static Map<String, Object> row(String json) {
        return Rows.parseJson(json, 1);
    }

    @Test
    void jsonRowsBecomeOneColumnPerFieldInSchemaOrderWithValidFlagsOnlyWhereAValueIsMissing() {
        batch.add(row("{\"id\": 9007199254740993, \"title\": \"été\", \"price\": 9.5, \"n\": 2.0, \"ok\": true,"
                + " \"f\": 0.1, \"doc\": {\"a\": [1, null]}, \"emb\": [0.1, 0.2, 0.3]}"), 1);
        batch.add(row("{\"id\": -1, \"title\": \"\", \"doc\": \"text\", \"emb\": [1, 2, 3]}"), 2);
        InsertBody body = batch.toInsertBody(42);

        assertThat(body.getPartitionId()).isEqualTo(42);
        assertThat(body.getNumRows()).isEqualTo(2);
        assertThat(body.getColumnsList()).extracting(Column::getFieldName)
                .containsExactly("id", "title", "price", "n", "ok", "f", "doc", "emb");
        assertThat(body.getColumns(0).getInt64S().getValuesList()).containsExactly(9007199254740993L, -1L);
        assertThat(body.getColumns(0).getValidList()).isEmpty();
        assertThat(body.getColumns(1).getStrings().getValuesList()).containsExactly("été", "");
        assertThat(body.getColumns(2).getDoubles().getValuesList()).containsExactly(9.5, 0.0);
        assertThat(body.getColumns(2).getValidList()).containsExactly(true, false);
        assertThat(body.getColumns(3).getInt32S().getValuesList()).containsExactly(2, 0);
        assertThat(body.getColumns(5).getFloats().getValuesList()).containsExactly(0.1f, 0f);
        assertThat(body.getColumns(6).getJsons().getValues(0).toStringUtf8()).isEqualTo("{\"a\":[1,null]}");
        assertThat(body.getColumns(6).getJsons().getValues(1).toStringUtf8()).isEqualTo("\"text\"");
        assertThat(body.getColumns(7).getFloatVectors().getDim()).isEqualTo(3);
        assertThat(body.getColumns(7).getFloatVectors().getValuesList()).containsExactly(0.1f, 0.2f, 0.3f, 1f, 2f, 3f);
    }

    @Test
    void rowsReadBackFromAnInsertBodyAsTheyWereWritten() {
        batch.add(row("{\"id\": 1, \"title\": \"a\", \"price\": null, \"doc\": {\"k\": 1}, \"emb\": [0.5, 1, 2]}"), 1);
        List<Map<String, Object>> back = Rows.fromInsertBody(batch.toInsertBody(1));
        assertThat(Rows.toJson(back.get(0))).isEqualTo("{\"id\":1,\"title\":\"a\",\"price\":null,\"n\":null,\"ok\":null,"
                + "\"f\":null,\"doc\":{\"k\":1},\"emb\":[0.5,1.0,2.0]}");
    }

    @Test
    void javaValuesAreAcceptedAsWellAsJsonOnes() {
        batch.add(Map.of("id", 5, "title", "x", "emb", new float[] {1, 2, 3}, "n", 7L, "doc", List.of(1, "a")), 0);
        InsertBody body = batch.toInsertBody(1);
        assertThat(body.getColumns(0).getInt64S().getValues(0)).isEqualTo(5L);
        assertThat(body.getColumns(6).getJsons().getValues(0).toStringUtf8()).isEqualTo("[1,\"a\"]");
    }

    @Test
    void aRowThatDoesNotMatchTheSchemaIsRejectedNamingTheRowAndTheFieldAndTheBatchIsUnchanged() {
        rejected(row("{\"title\": \"a\", \"emb\": [1, 2, 3]}"), "field 'id'", "primary key");
        rejected(row("{\"id\": 1, \"emb\": [1, 2, 3]}"), "field 'title'", "not nullable");
        rejected(row("{\"id\": 1.5, \"title\": \"a\", \"emb\": [1, 2, 3]}"), "field 'id'", "expected an integer");
        rejected(row("{\"id\": \"1\", \"title\": \"a\", \"emb\": [1, 2, 3]}"), "field 'id'", "a string \"1\"");
        rejected(row("{\"id\": 99999999999999999999, \"title\": \"a\", \"emb\": [1, 2, 3]}"), "field 'id'", "out of range");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"n\": 3000000000, \"emb\": [1, 2, 3]}"), "field 'n'", "out of range for INT32");
        rejected(row("{\"id\": 1, \"title\": \"123456789\", \"emb\": [1, 2, 3]}"), "field 'title'", "9 bytes", "maxLength is 8");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"emb\": [1, 2]}"), "field 'emb'", "2 values", "dim is 3");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"emb\": [1, \"x\", 3]}"), "field 'emb'", "element 1");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"ok\": 1, \"emb\": [1, 2, 3]}"), "field 'ok'", "true or false");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"f\": 1e40, \"emb\": [1, 2, 3]}"), "field 'f'", "finite FLOAT");
        rejected(row("{\"id\": 1, \"title\": \"a\", \"color\": 1, \"emb\": [1, 2, 3]}"), "field 'color'", "not in the schema");
    }

    /**
     * A Java string that is not Unicode text (half of a surrogate pair alone) has no UTF-8 form: it is refused, not
     * stored with a '?' in place of the half (what encoding it would do) and acknowledged.
     */
    @Test
    void aStringWithAnUnpairedSurrogateIsRejectedRatherThanStoredAltered() {
        List<Object> emb = List.of(1, 2, 3);
        rejected(Map.of("id", 1, "title", "a\uD83D", "emb", emb), "field 'title'", "unpaired surrogate at index 1");
        rejected(Map.of("id", 1, "title", "\uDE00a", "emb", emb), "field 'title'", "unpaired surrogate at index 0");
        rejected(Map.of("id", 1, "title", "a", "doc", Map.of("k", List.of("x\uDC00")), "emb", emb), "field 'doc'",
                "unpaired surrogate");
        rejected(Map.of("id", 1, "title", "a", "doc", Map.of("\uD800", 1), "emb", emb), "field 'doc'",
                "unpaired surrogate");
        assertThatThrownBy(() -> RowBatch.primaryKeyValue(SchemaJson.parseJson("""
                {"fields": [{"name": "k", "type": "VARCHAR", "maxLength": 8, "primaryKey": true},
                            {"name": "emb", "type": "FLOAT_VECTOR", "dim": 1}]}"""), "k\uDFFF", "pk 0"))
                .hasMessageContaining("field 'k'").hasMessageContaining("unpaired surrogate");

        batch.add(Map.of("id", 1, "title", "😀", "doc", Map.of("😀", "é😀"), "emb", emb), 1);
        InsertBody body = batch.toInsertBody(1);
        assertThat(body.getColumns(1).getStrings().getValues(0)).isEqualTo("😀");
        assertThat(body.getColumns(6).getJsons().getValues(0).toStringUtf8()).isEqualTo("{\"😀\":\"é😀\"}");
    }

    @Test
    void aLineThatIsNotAJsonObjectIsRejectedNamingItsRow() {
        assertThatThrownBy(() -> Rows.parseJson("{\"id\": 1,", 12)).hasMessageStartingWith("INVALID_ARGUMENT: row 12: not valid JSON");
        assertThatThrownBy(() -> Rows.parseJson("[1, 2]", 3)).hasMessageStartingWith("INVALID_ARGUMENT: row 3: a row is a JSON object");
    }

    @Test
    void primaryKeysAreCheckedAndNormalised() {
        assertThat(RowBatch.primaryKeyValue(SCHEMA, 3, "pk 0")).isEqualTo(3L);
        assertThatThrownBy(() -> RowBatch.primaryKeyValue(SCHEMA, "3", "primary key 2"))
                .hasMessageStartingWith("INVALID_ARGUMENT: primary key 2: field 'id'");
    }
}
