package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import org.junit.jupiter.api.Test;

class SchemaJsonTest {
    static final String BOOKS = """
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 256},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""";

    @Test
    void theDesignDocumentsSchemaParsesAndIsValid() {
        CollectionSchema s = SchemaJson.parseJson(BOOKS);
        CollectionSchemas.validate(s);
        assertThat(s.getFieldsList()).extracting(FieldSchema::getName).containsExactly("id", "title", "price", "emb");
        assertThat(s.getFields(0).getPrimaryKey()).isTrue();
        assertThat(s.getFields(1).getMaxLength()).isEqualTo(256);
        assertThat(s.getFields(2).getNullable()).isTrue();
        assertThat(s.getFields(3).getType()).isEqualTo(DataType.FLOAT_VECTOR);
        assertThat(s.getFields(3).getDim()).isEqualTo(4);
        assertThat(CollectionSchemas.primaryKey(s).getName()).isEqualTo("id");
    }

    @Test
    void aPrintedSchemaReadsBackTheSame() {
        CollectionSchema s = SchemaJson.parseJson(BOOKS).toBuilder().setVersion(3)
                .setFields(0, SchemaJson.parseJson(BOOKS).getFields(0).toBuilder().setFieldId(100)).build();
        assertThat(SchemaJson.parseJson(SchemaJson.toJson(s))).isEqualTo(s);
        assertThat(SchemaJson.toJson(s)).startsWith("{\"fields\":[{\"name\":\"id\",\"type\":\"INT64\",\"fieldId\":100,\"primaryKey\":true}");
    }

    @Test
    void aMalformedSchemaDocumentIsRejectedSayingWhere() {
        assertThatThrownBy(() -> SchemaJson.parseJson("{\"fields\": [")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> SchemaJson.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"INT65\"}]}"))
                .hasMessageContaining("field 'a'").hasMessageContaining("INT65");
        assertThatThrownBy(() -> SchemaJson.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"INT64\", \"primary\": true}]}"))
                .hasMessageContaining("field 'a'").hasMessageContaining("unknown key \"primary\"");
        assertThatThrownBy(() -> SchemaJson.parseJson("{\"fields\": [{\"name\": \"a\", \"type\": \"VARCHAR\", \"maxLength\": \"9\"}]}"))
                .hasMessageContaining("field 'a': maxLength");
        assertThatThrownBy(() -> SchemaJson.parseJson("[]")).hasMessageContaining("JSON object");
    }
}
