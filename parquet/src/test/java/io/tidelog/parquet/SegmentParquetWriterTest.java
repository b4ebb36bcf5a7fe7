package io.tidelog.parquet;

import io.tidelog.testing.Seeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int64Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Segment files as an independent reader, DuckDB, sees them. */
class SegmentParquetWriterTest {
    static final SealedSegment SEGMENT = new SealedSegment(1001, 2001, 7_000_000_001L, "p0_1001v0");

    static DuckDb duck;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    final SegmentParquetWriter writer = new SegmentParquetWriter(ParquetConfig.defaults());

    @BeforeAll
    static void startDuckDb() throws Exception {
        duck = new DuckDb();
    }

    @AfterAll
    static void stopDuckDb() throws Exception {
        duck.close();
    }

    /** Several inserts of random rows, the first made under schema version 1 (so without {@code note}). */
    List<InsertedRows> inserts(DataType primaryKeyType, Random random) {
        RandomInserts gen = new RandomInserts(random, 1 + random.nextInt(1000));
        List<InsertedRows> inserts = new ArrayList<>();
        long timeTick = 1L << 40;
        inserts.add(new InsertedRows(gen.insert(TestSchemas.everyTypeV1(primaryKeyType), 1 + random.nextInt(50)), timeTick));
        for (int i = 0; i < 4; i++) {
            timeTick += random.nextInt(3);
            inserts.add(new InsertedRows(gen.insert(TestSchemas.everyTypeV2(primaryKeyType), 1 + random.nextInt(200)),
                    timeTick));
        }
        return inserts;
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT64", "VARCHAR"})
    void everyValueOfEveryTypeReadsBackRowByRowInLogOrder(DataType primaryKeyType) throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(primaryKeyType);
        List<InsertedRows> inserts = inserts(primaryKeyType, seeds.random());
        Path file = dir.resolve("data.parquet");

        FileSummary summary = writer.write(file, SEGMENT, schema, inserts);

        List<Map<String, Object>> expected = Expected.rows(schema, inserts);
        List<Map<String, Object>> read = duck.query("SELECT * FROM " + DuckDb.readParquet(file));
        assertThat(read).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(read.get(i)).as("row %d", i).containsExactlyEntriesOf(expected.get(i));
        }
        assertThat(summary.rows()).isEqualTo(expected.size());
        assertThat(summary.minTimeTick()).isEqualTo(inserts.get(0).timeTick());
        assertThat(summary.maxTimeTick()).isEqualTo(inserts.get(inserts.size() - 1).timeTick());
    }

    @Test
    void theFirstInsertLacksTheFieldAddedLaterSoItsRowsAreNullThere() throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = inserts(DataType.INT64, seeds.random());
        Path file = dir.resolve("data.parquet");
        writer.write(file, SEGMENT, schema, inserts);

        long firstRows = inserts.get(0).body().getNumRows();
        assertThat(duck.scalar("SELECT count(*) FROM (SELECT note FROM " + DuckDb.readParquet(file) + " LIMIT "
                + firstRows + ") WHERE note IS NOT NULL")).isEqualTo(0L);
    }

    @Test
    void columnsHaveTheDocumentedTypesAndVectorsExactlyDimFloats() throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        Path file = dir.resolve("data.parquet");
        writer.write(file, SEGMENT, schema, inserts(DataType.INT64, seeds.random()));

        Map<String, Object> types = duck.query("DESCRIBE SELECT * FROM " + DuckDb.readParquet(file)).stream()
                .collect(Collectors.toMap(r -> (String) r.get("column_name"), r -> r.get("column_type")));
        assertThat(types).containsEntry("pk", "BIGINT").containsEntry("flag", "BOOLEAN")
                .containsEntry("count", "INTEGER").containsEntry("big", "BIGINT").containsEntry("score", "FLOAT")
                .containsEntry("price", "DOUBLE").containsEntry("title", "VARCHAR").containsEntry("doc", "JSON")
                .containsEntry("small", "FLOAT[]").containsEntry("wide", "FLOAT[]")
                .containsEntry(ParquetLayout.ROW_TIME_TICK, "BIGINT").hasSize(schema.getFieldsCount() + 1);
        assertThat(duck.query("SELECT DISTINCT len(small) AS s, len(wide) AS w FROM " + DuckDb.readParquet(file)))
                .containsExactly(Map.of("s", 4L, "w", 128L));

        Map<String, Object> repetition = duck.query("SELECT name, repetition_type FROM parquet_schema("
                + DuckDb.literal(file) + ")").stream().filter(r -> r.get("repetition_type") != null)
                .collect(Collectors.toMap(r -> (String) r.get("name"), r -> r.get("repetition_type"), (a, b) -> a));
        for (FieldSchema f : schema.getFieldsList()) {
            assertThat(repetition).as(f.getName()).containsEntry(f.getName(), f.getNullable() ? "OPTIONAL" : "REQUIRED");
        }
        assertThat(duck.query("SELECT field_id FROM parquet_schema(" + DuckDb.literal(file) + ") WHERE name = 'wide'"))
                .containsExactly(Map.of("field_id", 116L));
    }

    @Test
    void everyColumnChunkIsZstdCompressed() throws Exception {
        Path file = dir.resolve("data.parquet");
        writer.write(file, SEGMENT, TestSchemas.everyTypeV2(DataType.VARCHAR), inserts(DataType.VARCHAR, seeds.random()));

        assertThat(duck.query("SELECT DISTINCT compression FROM parquet_metadata(" + DuckDb.literal(file) + ")"))
                .containsExactly(Map.of("compression", "ZSTD"));
    }

    @Test
    void vectorsArePlainByDefaultAndByteStreamSplitWhenConfiguredReadingTheSameEitherWay() throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = inserts(DataType.INT64, seeds.random());
        Path plain = dir.resolve("plain.parquet");
        Path split = dir.resolve("split.parquet");
        writer.write(plain, SEGMENT, schema, inserts);
        new SegmentParquetWriter(new ParquetConfig(64L << 20, 1 << 20, 3, true)).write(split, SEGMENT, schema, inserts);

        String encodings = "SELECT DISTINCT encodings FROM parquet_metadata(%s) WHERE path_in_schema = 'wide, list, element'";
        assertThat(duck.query(encodings.formatted(DuckDb.literal(plain)))).extracting(r -> (String) r.get("encodings"))
                .allSatisfy(e -> assertThat(e).contains("PLAIN").doesNotContain("DICTIONARY", "BYTE_STREAM_SPLIT"));
        assertThat(duck.query(encodings.formatted(DuckDb.literal(split)))).extracting(r -> (String) r.get("encodings"))
                .allSatisfy(e -> assertThat(e).contains("BYTE_STREAM_SPLIT"));
        assertThat(duck.query("SELECT * FROM " + DuckDb.readParquet(split))).isEqualTo(Expected.rows(schema, inserts));
    }

    @Test
    void theFooterCarriesTheSegmentsIdentityAndSchema() throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        Path file = dir.resolve("data.parquet");
        writer.write(file, SEGMENT, schema, inserts(DataType.INT64, seeds.random()));

        Map<String, Object> footer = duck.query("SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata("
                + DuckDb.literal(file) + ")").stream().collect(Collectors.toMap(r -> (String) r.get("k"), r -> r.get("v")));
        assertThat(footer)
                .containsEntry(ParquetLayout.SEGMENT_ID, "7000000001")
                .containsEntry(ParquetLayout.COLLECTION_ID, "1001")
                .containsEntry(ParquetLayout.PARTITION_ID, "2001")
                .containsEntry(ParquetLayout.VCHANNEL, "p0_1001v0")
                .containsEntry(ParquetLayout.SCHEMA_VERSION, "2")
                .containsEntry(ParquetLayout.KIND, "segment")
                .containsEntry(ParquetLayout.FORMAT, "1");
        assertThat(SchemaJson.parseJson((String) footer.get(ParquetLayout.SCHEMA))).isEqualTo(schema);
    }

    @Test
    void theSummaryMatchesTheBytesOnDisk() throws Exception {
        Path file = dir.resolve("data.parquet");
        FileSummary summary = writer.write(file, SEGMENT, TestSchemas.everyTypeV2(DataType.INT64),
                inserts(DataType.INT64, seeds.random()));

        byte[] bytes = Files.readAllBytes(file);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertThat(summary.bytes()).isEqualTo(bytes.length);
        assertThat(summary.crc32c()).isEqualTo((int) crc.getValue());
        assertThat(summary.checksum()).matches("crc32c:[0-9a-f]{8}");
    }

    @Test
    void rowGroupsAreBoundedAndReadBackInOrder() throws Exception {
        ParquetConfig small = new ParquetConfig(64 << 10, 8 << 10, 3, false);
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        RandomInserts gen = new RandomInserts(seeds.random(), 0);
        List<InsertedRows> inserts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            inserts.add(new InsertedRows(gen.insert(schema, 300), 100 + i));
        }
        Path file = dir.resolve("data.parquet");
        new SegmentParquetWriter(small).write(file, SEGMENT, schema, inserts);

        long groups = (Long) duck.scalar("SELECT count(DISTINCT row_group_id) FROM parquet_metadata("
                + DuckDb.literal(file) + ")");
        assertThat(groups).isGreaterThan(1);
        assertThat(duck.query("SELECT max(row_group_bytes) < 2 * " + (64 << 10) + " AS bounded FROM parquet_metadata("
                + DuckDb.literal(file) + ")")).containsExactly(Map.of("bounded", true));
        List<Object> keys = duck.query("SELECT pk FROM " + DuckDb.readParquet(file)).stream().map(r -> r.get("pk")).toList();
        assertThat(keys).isEqualTo(Expected.rows(schema, inserts).stream().map(r -> r.get("pk")).toList());
    }

    @Test
    void aRetriedWriteReplacesTheEarlierFile() throws Exception {
        Path file = dir.resolve("data.parquet");
        Files.writeString(file, "left over by a crashed attempt");
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = inserts(DataType.INT64, seeds.random());

        FileSummary first = writer.write(file, SEGMENT, schema, inserts);
        FileSummary second = writer.write(file, SEGMENT, schema, inserts);

        assertThat(second).isEqualTo(first);
        assertThat(duck.scalar("SELECT count(*) FROM " + DuckDb.readParquet(file))).isEqualTo(first.rows());
    }

    @Test
    void aSegmentWithoutInsertsIsRejected() {
        assertThatThrownBy(() -> writer.write(dir.resolve("x.parquet"), SEGMENT, TestSchemas.everyTypeV2(DataType.INT64),
                List.of()))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("segment 7000000001 has no inserts");
        assertThat(dir.resolve("x.parquet")).doesNotExist();
    }

    @Test
    void anInsertThatDoesNotMatchTheSchemaIsRejectedByIndex() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = new ArrayList<>(inserts(DataType.INT64, seeds.random()));
        InsertBody wrong = inserts.get(2).body().toBuilder().addColumns(Column.newBuilder().setFieldName("nope")
                .setInt64S(Int64Array.newBuilder().addValues(1))).build();
        inserts.set(2, new InsertedRows(wrong, inserts.get(2).timeTick()));

        assertThatThrownBy(() -> writer.write(dir.resolve("x.parquet"), SEGMENT, schema, inserts))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContainingAll("insert 2", "field 'nope' is not in the schema");
        assertThat(dir.resolve("x.parquet")).doesNotExist();
    }

    @Test
    void insertsOutOfLogOrderAreRejected() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = new ArrayList<>(inserts(DataType.INT64, seeds.random()));
        inserts.set(3, new InsertedRows(inserts.get(3).body(), 5));

        assertThatThrownBy(() -> writer.write(dir.resolve("x.parquet"), SEGMENT, schema, inserts))
                .isInstanceOf(StreamingException.class)
                .hasMessageContainingAll("insert 3 (time tick 5)", "time ticks decrease");
        inserts.set(0, new InsertedRows(inserts.get(0).body(), -1));
        assertThatThrownBy(() -> writer.write(dir.resolve("x.parquet"), SEGMENT, schema, inserts))
                .isInstanceOf(StreamingException.class)
                .hasMessageContainingAll("insert 0 (time tick -1)", "never negative");
    }

    @Test
    void aFieldNamedLikeTheTimeTickColumnIsRejected() {
        CollectionSchema schema = CollectionSchema.newBuilder().setVersion(1)
                .addFields(TestSchemas.field("id", DataType.INT64, 1).toBuilder().setPrimaryKey(true))
                .addFields(TestSchemas.nullable(ParquetLayout.ROW_TIME_TICK, DataType.INT64, 2)).build();
        InsertBody body = InsertBody.newBuilder().setNumRows(1).addColumns(Column.newBuilder().setFieldName("id")
                .setInt64S(Int64Array.newBuilder().addValues(1))).build();

        assertThatThrownBy(() -> writer.write(dir.resolve("x.parquet"), SEGMENT, schema,
                List.of(new InsertedRows(body, 1))))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("collides with the system column");
    }

    @Test
    void aFailedWriteIsAnInnerErrorAndLeavesNoFile() {
        Path file = dir.resolve("missing-dir").resolve("data.parquet");
        assertThatThrownBy(() -> writer.write(file, SEGMENT, TestSchemas.everyTypeV2(DataType.INT64),
                inserts(DataType.INT64, seeds.random())))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INNER))
                .hasMessageContaining(file.toString());
        assertThat(file).doesNotExist();
    }

    @Test
    void noHadoopClassIsNeededAtRunTime() {
        assertThatThrownBy(() -> Class.forName("org.apache.hadoop.conf.Configuration"))
                .as("Hadoop is compile-only: surefire runs these tests without it")
                .isInstanceOf(ClassNotFoundException.class);
    }
}
