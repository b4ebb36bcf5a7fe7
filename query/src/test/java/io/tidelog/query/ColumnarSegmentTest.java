package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.InsertBody;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ColumnarSegmentTest {
    static final CollectionSchema SCHEMA = TestTables.schema(
            TestTables.primaryKey("id", DataType.INT64),
            TestTables.field("x", DataType.INT32, false),
            TestTables.field("note", DataType.VARCHAR, true),
            TestTables.field("meta", DataType.JSON, true),
            TestTables.vector("v", 2));

    static List<Object[]> rows(long firstId, int n) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = firstId + i;
            rows.add(new Object[] {id, (int) id, "n" + id, "{\"id\": " + id + "}", new float[] {id, 1}});
        }
        return rows;
    }

    @Test
    void aNullableFieldMissingFromAnInsertIsNullForItsRows() {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        segment.append(TestTables.insert(SCHEMA, rows(0, 3), Set.of()), 10);
        segment.append(TestTables.insert(SCHEMA, rows(3, 2), Set.of("note", "meta")), 20);
        SegmentView view = segment.view();
        assertThat(view.rowCount()).isEqualTo(5);
        Column note = view.column("note");
        assertThat(List.of(note.isNull(0), note.isNull(2), note.isNull(3), note.isNull(4)))
                .containsExactly(false, false, true, true);
        assertThat(Filter.parse("note is null or meta[\"id\"] is null", SCHEMA).select(view, null))
                .isEqualTo(bits(3, 4));
        assertThat(view.column("x").valid()).isNull();
    }

    @Test
    void aViewKeepsItsRowsWhileTheSegmentGrows() {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        segment.append(TestTables.insert(SCHEMA, rows(0, 2), Set.of()), 1);
        SegmentView before = segment.view();
        Filter filter = Filter.parse("x >= 0 and note like \"n%\"", SCHEMA);
        for (int i = 0; i < 50; i++) {
            segment.append(TestTables.insert(SCHEMA, rows(2 + 100L * i, 100), Set.of("note")), 2 + i);
        }
        assertThat(before.rowCount()).isEqualTo(2);
        assertThat(filter.select(before, null)).isEqualTo(bits(0, 1));
        assertThat(segment.view().rowCount()).isEqualTo(5002);
        assertThat(filter.select(segment.view(), null)).isEqualTo(bits(0, 1));
        assertThat(Filter.parse("x >= 0", SCHEMA).select(segment.view(), null).cardinality()).isEqualTo(5002);
    }

    @Test
    void rowsInsertedAtOrBeforeATimeTickAreAPrefix() {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        segment.append(TestTables.insert(SCHEMA, rows(0, 3), Set.of()), 10);
        segment.append(TestTables.insert(SCHEMA, rows(3, 2), Set.of()), 20);
        segment.append(TestTables.insert(SCHEMA, rows(5, 1), Set.of()), 20);
        SegmentView view = segment.view();
        assertThat(view.rowsInsertedAtOrBefore(9)).isZero();
        assertThat(view.rowsInsertedAtOrBefore(10)).isEqualTo(3);
        assertThat(view.rowsInsertedAtOrBefore(19)).isEqualTo(3);
        assertThat(view.rowsInsertedAtOrBefore(20)).isEqualTo(6);
        assertThat(view.insertTimeTick(4)).isEqualTo(20);
        assertThatThrownBy(() -> segment.append(TestTables.insert(SCHEMA, rows(6, 1), Set.of()), 19))
                .isInstanceOf(StreamingException.class).hasMessageContaining("time tick 19");
    }

    @Test
    void aRefusedInsertChangesNothing() {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        segment.append(TestTables.insert(SCHEMA, rows(0, 2), Set.of()), 1);
        InsertBody noX = TestTables.insert(SCHEMA, rows(2, 2), Set.of("x"));
        InsertBody badJson = TestTables.insert(SCHEMA, List.<Object[]>of(
                new Object[] {9L, 9, "n", "{\"ok\": 1}", new float[] {1, 1}},
                new Object[] {10L, 10, "n", "{not json", new float[] {1, 1}}), Set.of());
        InsertBody unknownField = noX.toBuilder().addColumns(io.tidelog.proto.Column.newBuilder().setFieldName("zz"))
                .build();
        InsertBody wrongType = TestTables.insert(SCHEMA, rows(2, 1), Set.of()).toBuilder()
                .setColumns(1, io.tidelog.proto.Column.newBuilder().setFieldName("x")
                        .setInt64S(io.tidelog.proto.Int64Array.newBuilder().addValues(1)))
                .build();
        for (InsertBody bad : List.of(noX, badJson, unknownField, wrongType)) {
            assertThatThrownBy(() -> segment.append(bad, 2)).isInstanceOf(StreamingException.class)
                    .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThat(segment.rowCount()).isEqualTo(2);
        segment.append(TestTables.insert(SCHEMA, rows(2, 1), Set.of()), 2);
        assertThat(Filter.parse("meta[\"id\"] >= 0", SCHEMA).select(segment.view(), null)).isEqualTo(bits(0, 1, 2));
    }

    @Test
    void bytesGrowWithTheRows() {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        long empty = segment.bytes();
        segment.append(TestTables.insert(SCHEMA, rows(0, 1000), Set.of()), 1);
        long thousand = segment.bytes();
        segment.append(TestTables.insert(SCHEMA, rows(1000, 9000), Set.of()), 2);
        assertThat(thousand).isGreaterThan(empty + 1000 * (8 + 4 + 8));
        assertThat(segment.bytes()).isGreaterThan(thousand * 5);
    }

    @Test
    void aReaderThreadAlwaysSeesWholeInserts() throws Exception {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        Filter filter = Filter.parse("x >= 0 and note like \"n%\" and meta[\"id\"] >= 0", SCHEMA);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                for (int i = 0; i < 2000; i++) {
                    SegmentView view = segment.view();
                    int n = view.rowCount();
                    assertThat(n % 7).isZero();
                    assertThat(filter.select(view, null).cardinality()).isEqualTo(n);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 400; i++) {
            segment.append(TestTables.insert(SCHEMA, rows(7L * i, 7), Set.of()), i);
        }
        reader.join();
        assertThat(failure.get()).isNull();
    }

    static BitSet bits(int... rows) {
        BitSet b = new BitSet();
        for (int r : rows) {
            b.set(r);
        }
        return b;
    }
}
