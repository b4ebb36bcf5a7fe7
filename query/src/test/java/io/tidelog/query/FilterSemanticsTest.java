package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand-picked expressions over a small table whose answers are written out: the documented semantics. */
class FilterSemanticsTest {
    static final CollectionSchema SCHEMA = TestTables.schema(
            TestTables.primaryKey("id", DataType.INT64),
            TestTables.field("flag", DataType.BOOL, true),
            TestTables.field("big", DataType.INT64, true),
            TestTables.field("f", DataType.FLOAT, true),
            TestTables.field("d", DataType.DOUBLE, true),
            TestTables.field("title", DataType.VARCHAR, true),
            TestTables.field("meta", DataType.JSON, true));

    /** id, flag, big, f, d, title, meta. */
    static final Object[][] ROWS = {
        {0L, true, 9007199254740993L, 0.1f, 0.0, "apple", "{\"k\": 3, \"a\": {\"b\": \"x\"}, \"arr\": [1, 2]}"},
        {1L, false, 9007199254740992L, 1.5f, -0.0, "Apple", "{\"k\": \"3\", \"arr\": []}"},
        {2L, null, null, null, Double.NaN, "\uE000", "{\"k\": null}"},
        {3L, true, -1L, Float.NaN, 2.5, "😀", "[1, 2, 3]"},
        {4L, false, 5L, 2f, Double.NEGATIVE_INFINITY, "100%", "{\"k\": true, \"arr\": [\"a\", \"b\"]}"},
        {5L, null, 0L, -0.0f, null, null, null},
        {6L, true, Long.MAX_VALUE, 16777216f, 1e300, "a_c", "{\"k\": 3.0, \"a\": 1}"},
        {7L, false, Long.MIN_VALUE, -2f, -1.0, "", "null"},
    };

    static SegmentView view() {
        List<Object[]> rows = new ArrayList<>();
        for (Object[] r : ROWS) {
            rows.add(r.clone());
        }
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        segment.append(TestTables.insert(SCHEMA, rows.subList(0, 3), Set.of()), 1);
        segment.append(TestTables.insert(SCHEMA, rows.subList(3, 8), Set.of()), 2);
        return segment.view();
    }

    @ParameterizedTest(name = "{0} selects [{1}]")
    @CsvSource(delimiter = '|', value = {
        "flag                                      | 0 3 6",
        "not flag                                  | 1 4 7",
        "!flag or flag is null                     | 1 2 4 5 7",
        "flag && big > 0                           | 0 6",
        "big == 9007199254740993                   | 0",
        "big == 9007199254740992                   | 1",
        "big == 9007199254740992.0                 | 0 1",
        "big > 1e18                                | 6",
        "big > 9e15                                | 0 1 6",
        "-1 <= big < 6                             | 3 4 5",
        "6 > big >= -1                             | 3 4 5",
        "big in [5, -1.0]                          | 3 4",
        "big not in [5, -1.0]                      | 0 1 5 6 7",
        "f == 0.1                                  | ",
        "f < 0.1000001 and f > 0.0999999           | 0",
        "f > 1e30                                  | 3",
        "f == 0                                    | 5",
        "f == 16777217                             | ",
        "f == 16777216                             | 6",
        "d == 0                                    | 0 1",
        "d > 1e300 or d == -0.0                    | 0 1 2",
        "d != 2.5                                  | 0 1 2 4 6 7",
        "d in [-0.0, 2.5]                          | 0 1 3",
        "not (d < 0)                               | 0 1 2 3 6",
        "title like \"a%\"                         | 0 6",
        "title LIKE \"_\"                          | 2 3",
        "title like \"a\\_c\"                      | 6",
        "title like \"a_c\"                        | 6",
        "title like \"100\\%\"                     | 4",
        "title like \"100\\\\%\"                   | 4",
        "title like \"%\"                          | 0 1 2 3 4 6 7",
        "title > \"\uFFFF\"                        | 3",
        "title >= \"\uE000\"                       | 2 3",
        "title < \"a\"                             | 1 4 7",
        "title in [\"apple\", \"\"]                | 0 7",
        "meta[\"k\"] == 3                          | 0 6",
        "meta[\"k\"] == \"3\"                      | 1",
        "meta[\"k\"] != 3                          | ",
        "meta[\"k\"] == true                       | 4",
        "meta[\"k\"] is null                       | 2 3 5 7",
        "meta[\"k\"] is not null                   | 0 1 4 6",
        "meta is null                              | 5",
        "meta[\"a\"][\"b\"] like \"x\"             | 0",
        "meta[\"arr\"][1] == 2                     | 0",
        "meta[\"arr\"][0] in [\"a\", 1]            | 0 4",
        "meta[\"arr\"][0] not in [\"a\"]           | ",
        "not meta[\"k\"] == 3                      | ",
        "meta[\"k\"] in []                         | ",
        "meta[\"k\"] not in []                     | 0 1 2 3 4 5 6 7",
        "(meta[\"k\"] == 3 or title like \"A%\") and id < 6 | 0 1",
        "flag aNd NoT big == 5 Or id == 7          | 0 3 6 7",
    })
    void selects(String expression, String expected) {
        BitSet want = new BitSet();
        if (expected != null) {
            for (String s : expected.trim().split(" +")) {
                want.set(Integer.parseInt(s));
            }
        }
        assertThat(Filter.parse(expression, SCHEMA).select(view(), null)).as(expression).isEqualTo(want);
    }

    @ParameterizedTest(name = "{0} over [{1}, {2}) within a mask")
    @CsvSource({"0, 8", "1, 7", "3, 3", "5, 8", "0, 1"})
    void aRangeAndCandidatesRestrictTheSelection(int from, int to) {
        BitSet candidates = new BitSet();
        candidates.set(0);
        candidates.set(3);
        candidates.set(6);
        candidates.set(7);
        BitSet got = Filter.parse("id >= 0", SCHEMA).select(view(), from, to, candidates);
        BitSet want = new BitSet();
        IntStream.range(from, to).filter(candidates::get).forEach(want::set);
        assertThat(got).isEqualTo(want);
    }
}
