package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.query.FilterGenerator.Gen;
import io.tidelog.testing.Seeds;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The filter against DuckDB as an oracle: random rows (every scalar type, nulls, edge values, non-ASCII and
 * astral strings, nested JSON) go into a {@link ColumnarSegment} and into a DuckDB table; random well-typed
 * expressions are generated as a pair, the filter text and its SQL (written from the documented semantics by
 * {@link FilterGenerator}, not by the evaluator); the rows the filter selects must be the rows DuckDB returns. The
 * server's {@code QueryOracleTest} runs the same generator end to end.
 */
class FilterDuckDbOracleTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static final CollectionSchema SCHEMA = TestTables.schema(
            TestTables.primaryKey("id", DataType.INT64),
            TestTables.field("flag", DataType.BOOL, true),
            TestTables.field("i32", DataType.INT32, true),
            TestTables.field("i64", DataType.INT64, true),
            TestTables.field("f", DataType.FLOAT, true),
            TestTables.field("d", DataType.DOUBLE, true),
            TestTables.field("s", DataType.VARCHAR, true),
            TestTables.field("meta", DataType.JSON, true),
            TestTables.field("n", DataType.INT64, false),
            TestTables.vector("emb", 4));

    @Test
    void everyGeneratedFilterSelectsTheRowsDuckDbSelects() throws SQLException {
        Random random = seeds.random();
        int checked = 0;
        int datasets = Integer.getInteger("tidelog.test.oracle.datasets", 4);
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
            for (int dataset = 0; dataset < datasets; dataset++) {
                List<Object[]> rows = rows(random, 150 + random.nextInt(250));
                ColumnarSegment segment = load(random, rows);
                createTable(db, rows);
                SegmentView view = segment.view();
                for (int e = 0; e < 300; e++) {
                    Gen g = new FilterGenerator(random, SCHEMA).expr(random.nextInt(4));
                    BitSet candidates = null;
                    int from = 0;
                    int to = view.rowCount();
                    if (e % 3 == 0) {
                        candidates = randomMask(random, to);
                        from = random.nextInt(to);
                        to = from + random.nextInt(to - from + 1);
                    }
                    BitSet ours = parse(g).select(view, from, to, candidates);
                    BitSet expected = duck(db, g.sql());
                    BitSet range = new BitSet();
                    range.set(from, to);
                    expected.and(range);
                    if (candidates != null) {
                        expected.and(candidates);
                    }
                    if (!ours.equals(expected)) {
                        Gen smallest = smallestFailing(db, view, g);
                        assertThat(Filter.parse(smallest.text(), SCHEMA).select(view, null))
                                .as("filter %s%nSQL %s%n(in filter %s)", smallest.text(), smallest.sql(), g.text())
                                .isEqualTo(duck(db, smallest.sql()));
                        assertThat(ours).as("filter %s%nSQL %s%nrows [%d, %d), candidates %s", g.text(), g.sql(), from,
                                to, candidates).isEqualTo(expected);
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(datasets * 300);
    }

    static Filter parse(Gen g) {
        try {
            return Filter.parse(g.text(), SCHEMA);
        } catch (RuntimeException e) {
            throw new AssertionError("refused: " + g.text(), e);
        }
    }

    /** The innermost part of {@code g} that selects other rows than DuckDB over the whole segment (or g). */
    static Gen smallestFailing(Connection db, SegmentView view, Gen g) throws SQLException {
        for (Gen part : g.parts()) {
            if (!Filter.parse(part.text(), SCHEMA).select(view, null).equals(duck(db, part.sql()))) {
                return smallestFailing(db, view, part);
            }
        }
        return g;
    }

    static BitSet randomMask(Random random, int n) {
        BitSet mask = new BitSet();
        double density = random.nextDouble();
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < density) {
                mask.set(i);
            }
        }
        return mask;
    }

    // ------------------------------------------------------------------------------------------------ data

    static List<Object[]> rows(Random random, int count) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Object[] r = new Object[SCHEMA.getFieldsCount()];
            r[0] = (long) i;
            r[1] = nullOr(random, random.nextBoolean());
            r[2] = nullOr(random, random.nextInt(3) == 0 ? (int) RandomValues.INT_POOL[random.nextInt(10)] : random.nextInt(9) - 4);
            r[3] = nullOr(random, random.nextInt(3) == 0 ? RandomValues.INT_POOL[random.nextInt(RandomValues.INT_POOL.length)]
                    : (long) (random.nextInt(9) - 4));
            r[4] = nullOr(random, RandomValues.randomFloat(random, false));
            r[5] = nullOr(random, RandomValues.randomDouble(random, false));
            r[6] = nullOr(random, RandomValues.randomString(random));
            r[7] = nullOr(random, RandomValues.randomJson(random).toString());
            r[8] = (long) (random.nextInt(9) - 4);
            r[9] = new float[] {random.nextFloat(), random.nextFloat(), random.nextFloat(), random.nextFloat()};
            rows.add(r);
        }
        return rows;
    }

    static Object nullOr(Random random, Object value) {
        return random.nextInt(6) == 0 ? null : value;
    }

    /** The rows appended in inserts of random sizes, some of which leave out nullable columns. */
    static ColumnarSegment load(Random random, List<Object[]> rows) {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        int i = 0;
        long tick = 1;
        while (i < rows.size()) {
            int n = Math.min(rows.size() - i, 1 + random.nextInt(60));
            List<Object[]> batch = rows.subList(i, i + n);
            Set<String> omitted = new HashSet<>();
            for (FieldSchema f : SCHEMA.getFieldsList()) {
                if (f.getNullable() && random.nextInt(8) == 0) {
                    omitted.add(f.getName());
                    int index = SCHEMA.getFieldsList().indexOf(f);
                    batch.forEach(r -> r[index] = null);
                }
            }
            segment.append(TestTables.insert(SCHEMA, batch, omitted), tick++);
            i += n;
        }
        return segment;
    }

    static void createTable(Connection db, List<Object[]> rows) throws SQLException {
        DuckDbTables.create(db, "t", SCHEMA, rows);
    }

    static BitSet duck(Connection db, String where) throws SQLException {
        BitSet ids = new BitSet();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM t WHERE " + where)) {
            while (rs.next()) {
                ids.set((int) rs.getLong(1));
            }
        }
        return ids;
    }
}
