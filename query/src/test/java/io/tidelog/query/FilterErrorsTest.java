package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import java.time.Duration;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expressions that are refused: INVALID_ARGUMENT, naming the field and the position. */
class FilterErrorsTest {
    static final CollectionSchema SCHEMA = TestTables.schema(
            TestTables.primaryKey("id", DataType.INT64),
            TestTables.field("flag", DataType.BOOL, true),
            TestTables.field("age", DataType.INT32, true),
            TestTables.field("price", DataType.DOUBLE, true),
            TestTables.field("title", DataType.VARCHAR, true),
            TestTables.field("meta", DataType.JSON, true),
            TestTables.vector("emb", 4));

    static AbstractThrowableAssert<?, ? extends Throwable> refused(String expression) {
        return assertThatThrownBy(() -> Filter.parse(expression, SCHEMA))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @ParameterizedTest(name = "{0} is refused naming {1} at {2}")
    @CsvSource(delimiter = '|', value = {
        "prise > 3                         | prise          | 1:1",
        "id > 1 and title == 3             | title          | 1:12",
        "price == \"cheap\"                | price          | 1:1",
        "flag > 1                          | flag           | 1:1",
        "flag == 1                         | flag           | 1:1",
        "age < true                        | age            | 1:1",
        "emb == 1                          | emb            | 1:1",
        "emb like \"a%\"                   | emb            | 1:1",
        "age like \"1%\"                   | age            | 1:1",
        "title[\"k\"] == 1                 | title[\"k\"]   | 1:1",
        "meta == 1                         | meta           | 1:1",
        "meta[\"k\"] < true                | meta[\"k\"]    | 1:1",
        "age in [1, \"two\"]               | age            | 1:1",
        "title in [\"a\", 2]               | title          | 1:1",
        "age > 1 and 2 > emb >= 0          | emb            | 1:17",
        "age > price                       | price          | 1:7",
    })
    void aBindingErrorNamesTheFieldAndThePosition(String expression, String field, String position) {
        refused(expression).hasMessageContaining("field '" + field + "'").hasMessageContaining("at " + position);
    }

    @ParameterizedTest(name = "{0} is a syntax error at {1}")
    @CsvSource(delimiter = '|', value = {
        "age >                        | 1:6",
        "age > 1 and                  | 1:12",
        "(age > 1                     | 1:9",
        "age > 1)                     | 1:8",
        "age >> 1                     | 1:6",
        "age = 1                      | 1:5",
        "age > 1 # 2                  | 1:9",
        "title == \"open              | 1:10",
        "age in [1, 2                 | 1:13",
        "1 < age > 3                  | 1:9",
        "age == 99999999999999999999  | 1:8",
        "price < 1e999                | 1:9",
        "title like \"ab\\\"          | 1:12",
        "title == \"\\u12\"           | 1:10",
        "meta[\"a\"][99999999999] > 1 | 1:11",
        "😀 == 1                      | 1:1",
    })
    void aSyntaxErrorGivesItsPosition(String expression, String position) {
        refused(expression).hasMessageContaining("at " + position);
    }

    @Test
    void positionsCountLinesAndColumnsFromOne() {
        refused("price\n  and age > 1").hasMessageContaining("field 'price' (DOUBLE) at 1:1")
                .hasMessageContaining("only a BOOL field is a condition");
        refused("id > 0 or\n  3 < titel").hasMessageContaining("field 'titel' is not in the schema at 2:7");
        refused("id > 0 or\n\tage >").hasMessageContaining("syntax error").hasMessageContaining("at 2:7");
    }

    @Test
    void positionsCountCodePointsAndQuotesOfBothKinds() {
        refused("title == '😀' and 😀").hasMessageContaining("unexpected character '😀' at 1:18");
        refused("\"a\" == 'b'").hasMessageContaining("needs a field").hasMessageContaining("at 1:8");
    }

    @Test
    void anEmptyExpressionIsRefused() {
        refused("   ").hasMessageContaining("empty");
    }

    @Test
    @Timeout(10)
    void deepNestingIsRefusedBeforeParsing() {
        String deep = "(".repeat(100_000) + "age > 1" + ")".repeat(100_000);
        refused(deep).hasMessageContaining("characters");
        String nested = "(".repeat(Filter.MAX_NESTING_DEPTH + 1) + "age > 1" + ")".repeat(Filter.MAX_NESTING_DEPTH + 1);
        refused(nested).hasMessageContaining("nest deeper").hasMessageContaining("at 1:" + (Filter.MAX_NESTING_DEPTH + 1));
        String allowed = "(".repeat(Filter.MAX_NESTING_DEPTH) + "age > 1" + ")".repeat(Filter.MAX_NESTING_DEPTH);
        assertThat(Filter.parse(allowed, SCHEMA).fields()).containsKey("age");
    }

    @Test
    @Timeout(10)
    void longNotChainsAndLongAndChainsParseWithoutRecursion() {
        String nots = "not ".repeat(10_000) + "age > 1";
        assertThat(Filter.parse(nots, SCHEMA).fields()).containsKey("age");
        StringBuilder ands = new StringBuilder("age > 0");
        while (ands.length() < Filter.MAX_EXPRESSION_LENGTH - 20) {
            ands.append(" and age > 0");
        }
        assertThat(Filter.parse(ands.toString(), SCHEMA).fields()).containsKey("age");
    }

    @Test
    @Timeout(10)
    void aHugeExpressionIsRefusedFast() {
        long start = System.nanoTime();
        String huge = "age > 1 or ".repeat(1_000_000) + "age > 1";
        refused(huge).hasMessageContaining("more than the limit of " + Filter.MAX_EXPRESSION_LENGTH);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aLongInListIsRefused() {
        StringBuilder list = new StringBuilder("age in [0");
        for (int i = 1; i <= Filter.MAX_IN_LIST; i++) {
            list.append(',').append(i % 10);
        }
        refused(list.append(']').toString()).hasMessageContaining("more than the limit of " + Filter.MAX_IN_LIST);
    }

    @Test
    void aLongJsonPathIsRefused() {
        String path = "meta" + "[\"a\"]".repeat(Filter.MAX_PATH_LENGTH + 1) + " == 1";
        refused(path).hasMessageContaining("meta").hasMessageContaining("at 1:1");
    }

    @Test
    void aPathologicalExpressionParsesInLinearTime() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            b.append("(not age > 1 or ");
        }
        b.append("flag");
        b.append(")".repeat(60));
        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            Filter.parse(b.toString(), SCHEMA);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
