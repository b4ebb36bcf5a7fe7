package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import org.junit.jupiter.api.Test;

class SchemasTest {
    static final String BOOKS = """
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 256},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""";

    static void rejected(String json, String... fragments) {
        assertThatThrownBy(() -> Schemas.validate(Schemas.parseJson(json)))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContainingAll(fragments);
    }

    @Test
    void theDesignDocumentsSchemaParsesAndIsValid() {
        CollectionSchema s = Schemas.parseJson(BOOKS);
        Schemas.validate(s);
        assertThat(s.getFieldsList()).extracting(FieldSchema::getName).containsExactly("id", "title", "price", "emb");
        assertThat(s.getFields(0).getPrimaryKey()).isTrue();
        assertThat(s.getFields(1).getMaxLength()).isEqualTo(256);
        assertThat(s.getFields(2).getNullable()).isTrue();
        assertThat(s.getFields(3).getType()).isEqualTo(DataType.FLOAT_VECTOR);
        assertThat(s.getFields(3).getDim()).isEqualTo(4);
        assertThat(Schemas.primaryKey(s).getName()).isEqualTo("id");
    }

    @Test
    void aPrintedSchemaReadsBackTheSame() {
        CollectionSchema s = Schemas.parseJson(BOOKS).toBuilder().setVersion(3)
                .setFields(0, Schemas.parseJson(BOOKS).getFields(0).toBuilder().setFieldId(100)).build();
        assertThat(Schemas.parseJson(Schemas.toJson(s))).isEqualTo(s);
        assertThat(Schemas.toJson(s)).startsWith("{\"fields\":[{\"name\":\"id\",\"type\":\"INT64\",\"fieldId\":100,\"primaryKey\":true}");
    }

    @Test
    void eachBrokenRuleIsRejectedNamingTheField() {
        rejected("{\"fields\": [{\"name\": \"title\", \"type\": \"VARCHAR\", \"maxLength\": 8}]}", "no primary key");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"k\", \"type\": \"INT64\", \"primaryKey\": true}]}", "field 'k'", "second primary key");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"FLOAT\", \"primaryKey\": true}]}", "field 'id'", "INT64 or VARCHAR");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true, \"nullable\": true}]}",
                "field 'id'", "nullable");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"id\", \"type\": \"BOOL\"}]}", "field 'id'", "more than once");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"VARCHAR\", \"primaryKey\": true}]}", "field 'id'", "maxLength");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"e\", \"type\": \"FLOAT_VECTOR\"}]}", "field 'e'", "dim");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"n\", \"type\": \"INT32\", \"dim\": 3}]}", "field 'n'", "dim applies to FLOAT_VECTOR only");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"2x\", \"type\": \"BOOL\"}]}", "field name '2x'");
        rejected("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + "{\"name\": \"e\", \"type\": \"FLOAT_VECTOR\", \"dim\": 2, \"nullable\": true}]}", "field 'e'", "nullable");
        StringBuilder five = new StringBuilder("{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true}");
        for (int i = 0; i < 5; i++) {
            five.append(",{\"name\": \"v").append(i).append("\", \"type\": \"FLOAT_VECTOR\", \"dim\": 2}");
        }
        rejected(five.append("]}").toString(), "field 'v4'", "at most 4");
    }

    @Test
    void aMalformedSchemaDocumentIsRejectedSayingWhere() {
        assertThatThrownBy(() -> Schemas.parseJson("{\"fields\": [")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Schemas.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"INT65\"}]}"))
                .hasMessageContaining("field 'a'").hasMessageContaining("INT65");
        assertThatThrownBy(() -> Schemas.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"INT64\", \"primary\": true}]}"))
                .hasMessageContaining("field 'a'").hasMessageContaining("unknown key \"primary\"");
        assertThatThrownBy(() -> Schemas.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"VARCHAR\", \"maxLength\": \"9\"}]}"))
                .hasMessageContaining("field 'a': maxLength");
        assertThatThrownBy(() -> Schemas.parseJson("[]")).hasMessageContaining("JSON object");
    }
}
