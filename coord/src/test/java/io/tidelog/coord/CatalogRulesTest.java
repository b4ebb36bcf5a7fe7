package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import org.junit.jupiter.api.Test;

class CatalogRulesTest {
    static final String ID = "{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true}";

    static void rejected(String fields, String... fragments) {
        assertThatThrownBy(() -> CatalogRules.validateSchema(SchemaJson.parseJson("{\"fields\": [" + fields + "]}")))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContainingAll(fragments);
    }

    @Test
    void eachBrokenSchemaRuleIsRejectedNamingTheField() {
        rejected("{\"name\": \"title\", \"type\": \"VARCHAR\", \"maxLength\": 8}", "no primary key");
        rejected(ID + ",{\"name\": \"k\", \"type\": \"INT64\", \"primaryKey\": true}", "field 'k'", "second primary key");
        rejected("{\"name\": \"id\", \"type\": \"FLOAT\", \"primaryKey\": true}", "field 'id'", "INT64 or VARCHAR");
        rejected("{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true, \"nullable\": true}", "field 'id'", "nullable");
        rejected(ID + ",{\"name\": \"id\", \"type\": \"BOOL\"}", "field 'id'", "twice");
        rejected("{\"name\": \"id\", \"type\": \"VARCHAR\", \"primaryKey\": true}", "field 'id'", "max_length");
        rejected(ID + ",{\"name\": \"e\", \"type\": \"FLOAT_VECTOR\"}", "field 'e'", "dim");
        rejected(ID + ",{\"name\": \"n\", \"type\": \"INT32\", \"dim\": 3}", "field 'n'", "dim applies to FLOAT_VECTOR only");
        rejected(ID + ",{\"name\": \"n\", \"type\": \"INT32\", \"maxLength\": 3}", "field 'n'", "maxLength applies to VARCHAR only");
        rejected(ID + ",{\"name\": \"2x\", \"type\": \"BOOL\"}", "field name '2x'");
        rejected(ID + ",{\"name\": \"e\", \"type\": \"FLOAT_VECTOR\", \"dim\": 2, \"nullable\": true}", "field 'e'", "nullable");
        StringBuilder five = new StringBuilder(ID);
        for (int i = 0; i < 5; i++) {
            five.append(",{\"name\": \"v").append(i).append("\", \"type\": \"FLOAT_VECTOR\", \"dim\": 2}");
        }
        rejected(five.toString(), "field 'v4'", "at most 4");
    }

    @Test
    void namesAreLettersDigitsAndUnderscoresNotStartingWithADigit() {
        CatalogRules.validateName("collection", "_books_2024");
        assertThatThrownBy(() -> CatalogRules.validateName("collection", "")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> CatalogRules.validateName("partition", "a-b")).hasMessageContaining("partition name 'a-b'");
        assertThatThrownBy(() -> CatalogRules.validateName("collection", "x".repeat(256))).hasMessageContaining("at most 255");
    }

    @Test
    void anAddedFieldMustBeNullableAndNotAPrimaryKey() {
        FieldSchema year = FieldSchema.newBuilder().setName("year").setType(DataType.INT32).setNullable(true).build();
        CatalogRules.validateAddedField(year);
        assertThatThrownBy(() -> CatalogRules.validateAddedField(year.toBuilder().setNullable(false).build()))
                .hasMessageContaining("field 'year' must be nullable");
    }
}
