package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random schemas and random row batches round-trip through a segment file: DuckDB and
 * {@link SegmentFileReader} find every value, null and time tick that went in, in order. The schema is
 * random too (any types, nullable or not, vector dimensions, fields added by a later schema version that
 * the early inserts lack, names with dots or non-ASCII). jqwik prints the seed and the shrunk sizes of a
 * failure; the {@code seed} parameter fixes the rest.
 */
class SegmentRoundTripProperties {
    private static final DataType[] TYPES = {DataType.BOOL, DataType.INT32, DataType.INT64, DataType.FLOAT,
        DataType.DOUBLE, DataType.VARCHAR, DataType.JSON, DataType.FLOAT_VECTOR};
    private static final String[] NAMES = {"f", "名前", "a.b", "Ünï", "x y"};

    static Path dir;
    static DuckDb duck;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("tidelog-parquet-properties");
        duck = new DuckDb();
    }

    @AfterContainer
    static void stop() throws Exception {
        duck.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Property(tries = 60)
    void randomBatchesOfRandomSchemasRoundTrip(@ForAll @IntRange(min = 1, max = 4) int insertCount,
                                              @ForAll @IntRange(min = 1, max = 40) int maxRows,
                                              @ForAll long seed) throws Exception {
        Random random = new Random(seed);
        CollectionSchema older = randomSchema(random);
        CollectionSchema newer = addNullableFields(older, random);
        RandomInserts gen = new RandomInserts(random, random.nextInt(1000));
        List<InsertedRows> inserts = new ArrayList<>();
        long timeTick = random.nextLong() >>> 2;
        for (int i = 0; i < insertCount; i++) {
            CollectionSchema version = i == 0 && random.nextBoolean() ? older : newer;
            inserts.add(new InsertedRows(gen.insert(version, 1 + random.nextInt(maxRows)), timeTick));
            timeTick += random.nextInt(2);
        }
        Path file = dir.resolve(seed + "-" + insertCount + "-" + maxRows + ".parquet");

        FileSummary summary = new SegmentParquetWriter(ParquetConfig.defaults())
                .write(file, new SealedSegment(1, 2, 3, "p_s"), newer, inserts);

        List<Map<String, Object>> expected = Expected.rows(newer, inserts);
        assertThat(duck.query("SELECT * FROM " + DuckDb.readParquet(file))).isEqualTo(expected);
        assertThat(summary.rows()).isEqualTo(expected.size());
        assertThat(summary.bytes()).isEqualTo(Files.size(file));
        try (SegmentFileReader reader = SegmentFileReader.open(file, "k")) {
            assertThat(RowsRead.rows(newer.getFieldsList(), reader.readAll())).isEqualTo(expected);
        }
        Files.delete(file);
    }

    @Property(tries = 40)
    void filesOfAnOlderSchemaReadUnderTheNewerOneWithAnyProjection(@ForAll @IntRange(min = 1, max = 3) int insertCount,
                                                                   @ForAll @IntRange(min = 1, max = 40) int maxRows,
                                                                   @ForAll long seed) throws Exception {
        Random random = new Random(seed);
        CollectionSchema older = randomSchema(random);
        CollectionSchema newer = addNullableFields(older, random);
        RandomInserts gen = new RandomInserts(random, random.nextInt(1000));
        List<InsertedRows> inserts = new ArrayList<>();
        for (int i = 0; i < insertCount; i++) {
            inserts.add(new InsertedRows(gen.insert(older, 1 + random.nextInt(maxRows)), 10 + i));
        }
        Path file = dir.resolve(seed + "-old-" + insertCount + "-" + maxRows + ".parquet");
        new SegmentParquetWriter(ParquetConfig.defaults()).write(file, new SealedSegment(1, 2, 3, "p_s"), older, inserts);
        List<FieldSchema> projected = newer.getFieldsList().stream().filter(f -> random.nextInt(3) != 0).toList();
        Set<String> names = projected.stream().map(FieldSchema::getName).collect(Collectors.toSet());

        try (SegmentFileReader reader = SegmentFileReader.open(file, "k")) {
            SegmentRows read = reader.readAll(new SegmentProjection(newer, names));

            List<Map<String, Object>> expected = Expected.rows(newer, inserts);
            expected.forEach(row -> row.keySet().removeIf(k -> !names.contains(k) && !k.equals(ParquetLayout.ROW_TIME_TICK)));
            assertThat(RowsRead.rows(projected, read)).isEqualTo(expected);
            Set<String> added = new HashSet<>(names);
            older.getFieldsList().forEach(f -> added.remove(f.getName()));
            assertThat(read.absentFields()).isEqualTo(added);
        }
        Files.delete(file);
    }

    static CollectionSchema randomSchema(Random random) {
        boolean varcharKey = random.nextBoolean();
        CollectionSchema.Builder b = CollectionSchema.newBuilder().setVersion(1 + random.nextInt(5));
        FieldSchema.Builder pk = FieldSchema.newBuilder().setName("pk").setPrimaryKey(true).setFieldId(100)
                .setType(varcharKey ? DataType.VARCHAR : DataType.INT64);
        if (varcharKey) {
            pk.setMaxLength(40);
        }
        b.addFields(random.nextInt(3) == 0 ? 0 : b.getFieldsCount(), pk);
        int vectors = 0;
        for (int i = 0, n = random.nextInt(9); i < n; i++) {
            DataType type = TYPES[random.nextInt(TYPES.length)];
            if (type == DataType.FLOAT_VECTOR && ++vectors > 3) {
                type = DataType.DOUBLE;
            }
            b.addFields(field(NAMES[random.nextInt(NAMES.length)] + i, type, 101 + i,
                    type != DataType.FLOAT_VECTOR && random.nextBoolean(), random));
        }
        return b.build();
    }

    /** {@code schema} after an AlterCollection that added zero to three nullable fields. */
    static CollectionSchema addNullableFields(CollectionSchema schema, Random random) {
        CollectionSchema.Builder b = schema.toBuilder().setVersion(schema.getVersion() + 1);
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            DataType type = TYPES[random.nextInt(TYPES.length - 1)];
            b.addFields(field("added" + i, type, 200 + i, true, random));
        }
        return b.build();
    }

    private static FieldSchema field(String name, DataType type, long id, boolean nullable, Random random) {
        FieldSchema.Builder f = FieldSchema.newBuilder().setName(name).setType(type).setNullable(nullable).setFieldId(id);
        if (type == DataType.VARCHAR) {
            f.setMaxLength(1 + random.nextInt(64));
        }
        if (type == DataType.FLOAT_VECTOR) {
            f.setDim(random.nextInt(5) == 0 ? 128 : 1 + random.nextInt(16));
        }
        return f.build();
    }
}
