package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.RowValidator;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import io.tidelog.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Segment files read back by {@link SegmentFileReader}, checked against what was written and against DuckDB. */
class SegmentFileReaderTest {
    static final SealedSegment SEGMENT = new SealedSegment(1001, 2001, 7_000_000_001L, "p0_1001v0");
    static final String KEY = SegmentKeys.segmentData(1001, 7_000_000_001L);
    /** Small row groups, so that a few thousand rows make several. */
    static final ParquetConfig SMALL_GROUPS = new ParquetConfig(64 << 10, 8 << 10, 3, false);

    static DuckDb duck;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    @BeforeAll
    static void startDuckDb() throws Exception {
        duck = new DuckDb();
    }

    @AfterAll
    static void stopDuckDb() throws Exception {
        duck.close();
    }

    /** Inserts of random rows, the first made under schema version 1 (so without {@code note}), the rest under 2. */
    static List<InsertedRows> inserts(DataType primaryKeyType, Random random, int count, int maxRows) {
        RandomInserts gen = new RandomInserts(random, 1 + random.nextInt(1000));
        List<InsertedRows> inserts = new ArrayList<>();
        long timeTick = 1L << 40;
        inserts.add(new InsertedRows(gen.insert(TestSchemas.everyTypeV1(primaryKeyType), 1 + random.nextInt(maxRows)),
                timeTick));
        for (int i = 1; i < count; i++) {
            timeTick += random.nextInt(3);
            inserts.add(new InsertedRows(gen.insert(TestSchemas.everyTypeV2(primaryKeyType), 1 + random.nextInt(maxRows)),
                    timeTick));
        }
        return inserts;
    }

    Path write(ParquetConfig config, CollectionSchema schema, List<InsertedRows> inserts) {
        Path file = dir.resolve("data.parquet");
        new SegmentParquetWriter(config).write(file, SEGMENT, schema, inserts);
        return file;
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT64", "VARCHAR"})
    void everyValueOfEveryTypeReadsBackAsWrittenAcrossSeveralRowGroups(DataType primaryKeyType) throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(primaryKeyType);
        List<InsertedRows> inserts = inserts(primaryKeyType, seeds.random(), 12, 300);
        Path file = write(SMALL_GROUPS, schema, inserts);

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            assertThat(reader.footer().rowGroups()).isGreaterThan(1);
            SegmentRows read = reader.readAll();

            List<Map<String, Object>> expected = Expected.rows(schema, inserts);
            List<Map<String, Object>> rows = RowsRead.rows(schema.getFieldsList(), read);
            assertThat(read.rowCount()).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertThat(rows.get(i)).as("row %d", i).containsExactlyEntriesOf(expected.get(i));
            }
            assertThat(read.absentFields()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT64", "VARCHAR"})
    void theReaderFindsWhatDuckDbFindsInTheSameFile(DataType primaryKeyType) throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(primaryKeyType);
        Path file = write(SMALL_GROUPS, schema, inserts(primaryKeyType, seeds.random(), 8, 200));

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            assertThat(RowsRead.rows(schema.getFieldsList(), reader.readAll()))
                    .isEqualTo(duck.query("SELECT * FROM " + DuckDb.readParquet(file)));
        }
    }

    @Test
    void rowGroupsReadOneAtATimeConcatenateToAllRows() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        Path file = write(SMALL_GROUPS, schema, inserts(DataType.INT64, seeds.random(), 10, 300));

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            List<Map<String, Object>> byGroup = new ArrayList<>();
            for (int g = 0; g < reader.footer().rowGroups(); g++) {
                byGroup.addAll(RowsRead.rows(schema.getFieldsList(), reader.readRowGroup(g)));
            }
            assertThat(byGroup).hasSize((int) reader.footer().rows())
                    .isEqualTo(RowsRead.rows(schema.getFieldsList(), reader.readAll()));
        }
    }

    @Test
    void theColumnsReadAreAValidInsertOfTheSchema() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.VARCHAR);
        Path file = write(ParquetConfig.defaults(), schema, inserts(DataType.VARCHAR, seeds.random(), 4, 100));

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            SegmentRows read = reader.readAll();
            InsertBody body = InsertBody.newBuilder().setNumRows(read.rowCount()).addAllColumns(read.columns()).build();
            RowValidator.of(schema).checkInsert(body);
            assertThat(read.columns()).extracting(Column::getFieldName)
                    .containsExactlyElementsOf(schema.getFieldsList().stream().map(FieldSchema::getName).toList());
        }
    }

    @Test
    void aProjectionReadsOnlyItsFieldsInSchemaOrder() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = inserts(DataType.INT64, seeds.random(), 5, 100);
        Path file = write(SMALL_GROUPS, schema, inserts);

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            SegmentRows read = reader.readAll(SegmentProjection.of(schema, "wide", "pk", "maybe_title"));

            List<FieldSchema> fields = schema.getFieldsList().stream()
                    .filter(f -> Set.of("pk", "maybe_title", "wide").contains(f.getName())).toList();
            assertThat(read.columns()).extracting(Column::getFieldName).containsExactly("pk", "maybe_title", "wide");
            List<Map<String, Object>> expected = Expected.rows(schema, inserts);
            expected.forEach(row -> row.keySet().retainAll(Set.of("pk", "maybe_title", "wide", ParquetLayout.ROW_TIME_TICK)));
            assertThat(RowsRead.rows(fields, read)).isEqualTo(expected);
        }
    }

    @Test
    void aFileOlderThanTheSchemaReadsTheAddedFieldAsNullAndReportsItAbsent() {
        CollectionSchema v1 = TestSchemas.everyTypeV1(DataType.INT64);
        CollectionSchema v2 = TestSchemas.everyTypeV2(DataType.INT64);
        RandomInserts gen = new RandomInserts(seeds.random(), 1);
        List<InsertedRows> inserts = List.of(new InsertedRows(gen.insert(v1, 50), 10), new InsertedRows(gen.insert(v1, 70), 11));
        Path file = write(ParquetConfig.defaults(), v1, inserts);

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            SegmentRows read = reader.readAll(SegmentProjection.all(v2));

            assertThat(read.absentFields()).containsExactly("note");
            assertThat(RowsRead.rows(v2.getFieldsList(), read)).isEqualTo(Expected.rows(v2, inserts));
            Column note = read.columns().get(v2.getFieldsCount() - 1);
            assertThat(note.getStrings().getValuesCount()).isEqualTo(120);
            assertThat(note.getValidList()).hasSize(120).containsOnly(false);
            RowValidator.of(v2).checkInsert(InsertBody.newBuilder().setNumRows(read.rowCount())
                    .addAllColumns(read.columns()).build());
        }
    }

    @Test
    void aSchemaThatCannotReadTheFileIsRejectedNamingTheField() {
        CollectionSchema v1 = TestSchemas.everyTypeV1(DataType.INT64);
        Path file = write(ParquetConfig.defaults(), v1, inserts(DataType.INT64, seeds.random(), 1, 20));
        CollectionSchema retyped = v1.toBuilder().setVersion(3)
                .setFields(3, v1.getFields(3).toBuilder().setType(DataType.INT64)).build();
        CollectionSchema requiredAdded = v1.toBuilder().setVersion(3)
                .addFields(TestSchemas.field("extra", DataType.INT32, 300)).build();

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            assertThatThrownBy(() -> reader.readAll(SegmentProjection.all(retyped)))
                    .isInstanceOf(StreamingException.class)
                    .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContainingAll(KEY, "field 'count'", "INT64", "INT32");
            assertThatThrownBy(() -> reader.readAll(SegmentProjection.all(requiredAdded)))
                    .isInstanceOf(StreamingException.class)
                    .hasMessageContainingAll("field 'extra'", "not nullable");
            assertThatThrownBy(() -> SegmentProjection.of(v1, "nope"))
                    .isInstanceOf(StreamingException.class)
                    .hasMessageContaining("field 'nope' is not in the schema");
        }
    }

    @Test
    void theFooterNamesTheSegmentAndItsSchema() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<InsertedRows> inserts = inserts(DataType.INT64, seeds.random(), 3, 50);
        Path file = write(ParquetConfig.defaults(), schema, inserts);

        try (SegmentFileReader reader = SegmentFileReader.open(file, KEY)) {
            assertThat(reader.footer()).isEqualTo(new SegmentFooter(1001, 2001, 7_000_000_001L, "p0_1001v0", 2, schema,
                    Expected.rows(schema, inserts).size(), 1));
        }
    }

    @Test
    void aFileInMemoryReadsLikeTheFileOnDisk() throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.VARCHAR);
        Path file = write(SMALL_GROUPS, schema, inserts(DataType.VARCHAR, seeds.random(), 6, 200));

        try (SegmentFileReader onDisk = SegmentFileReader.open(file, KEY);
             SegmentFileReader inMemory = SegmentFileReader.open(Files.readAllBytes(file), KEY)) {
            assertThat(inMemory.footer()).isEqualTo(onDisk.footer());
            assertThat(inMemory.readAll().columns()).isEqualTo(onDisk.readAll().columns());
        }
    }

    @Test
    void aClosedReaderRefusesToReadAndClosesOnce() {
        Path file = write(ParquetConfig.defaults(), TestSchemas.everyTypeV2(DataType.INT64),
                inserts(DataType.INT64, seeds.random(), 1, 10));
        SegmentFileReader reader = SegmentFileReader.open(file, KEY);
        reader.close();
        reader.close();
        assertThatThrownBy(reader::readAll).isInstanceOf(IllegalStateException.class).hasMessageContaining(KEY);
    }

    @Test
    void noHadoopClassIsNeededToRead() {
        assertThatThrownBy(() -> Class.forName("org.apache.hadoop.conf.Configuration"))
                .as("Hadoop is compile-only: surefire runs these tests without it")
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> org.apache.parquet.ParquetReadOptions.builder(
                new org.apache.parquet.conf.PlainParquetConfiguration()))
                .as("why SegmentFileReader does not use ParquetFileReader: its options need Hadoop")
                .isInstanceOf(NoClassDefFoundError.class);
    }
}
