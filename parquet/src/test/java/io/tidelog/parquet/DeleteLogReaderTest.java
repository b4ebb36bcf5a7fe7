package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.StringArray;
import io.tidelog.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Delete logs read back by {@link DeleteLogReader}, checked against what was written and against DuckDB. */
class DeleteLogReaderTest {
    static final String KEY = SegmentKeys.deleteLog(1001, "p0_1001v0", 1000, 2000);

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

    /** Random deletes of keys of {@code type} (duplicates included), with non-decreasing time ticks. */
    static List<DeletedKeys> deletes(DataType type, Random random, int count) {
        RandomInserts text = new RandomInserts(random, 0);
        List<DeletedKeys> deletes = new ArrayList<>();
        long timeTick = 1000;
        for (int d = 0; d < count; d++) {
            timeTick += random.nextInt(3);
            DeleteBody.Builder body = DeleteBody.newBuilder();
            int n = 1 + random.nextInt(40);
            if (type == DataType.VARCHAR) {
                StringArray.Builder keys = StringArray.newBuilder();
                for (int k = 0; k < n; k++) {
                    keys.addValues(text.text(40));
                }
                body.setStringPks(keys);
            } else {
                Int64Array.Builder keys = Int64Array.newBuilder();
                for (int k = 0; k < n; k++) {
                    keys.addValues(random.nextInt(4) == 0 ? random.nextInt(10) : random.nextLong());
                }
                body.setIntPks(keys);
            }
            deletes.add(new DeletedKeys(body.build(), timeTick));
        }
        return deletes;
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT64", "VARCHAR"})
    void keysAndTimeTicksReadBackInLogOrderAsDuckDbReadsThem(DataType primaryKeyType) throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(primaryKeyType);
        List<DeletedKeys> deletes = deletes(primaryKeyType, seeds.random(), 200);
        Path file = dir.resolve("deletes.parquet");
        FileSummary summary = new DeleteLogWriter(new ParquetConfig(64 << 10, 4 << 10, 3, false))
                .write(file, 1001, "p0_1001v0", schema, deletes);

        try (DeleteLogReader reader = DeleteLogReader.open(file, KEY)) {
            DeleteLogRows rows = reader.readAll();

            List<Map<String, Object>> expected = new ArrayList<>();
            for (DeletedKeys d : deletes) {
                List<?> keys = primaryKeyType == DataType.VARCHAR ? d.body().getStringPks().getValuesList()
                        : d.body().getIntPks().getValuesList();
                for (Object k : keys) {
                    expected.add(row(k, d.timeTick()));
                }
            }
            List<Map<String, Object>> read = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                read.add(row(primaryKeyType == DataType.VARCHAR ? rows.keys().getStringPks().getValues(i)
                        : rows.keys().getIntPks().getValues(i), rows.timeTicks()[i]));
            }
            assertThat(read).isEqualTo(expected)
                    .isEqualTo(duck.query("SELECT pk, _delete_time_tick FROM " + DuckDb.readParquet(file)));
            assertThat(rows.keys().getPksCase()).isEqualTo(primaryKeyType == DataType.VARCHAR
                    ? DeleteBody.PksCase.STRING_PKS : DeleteBody.PksCase.INT_PKS);
            assertThat(reader.footer()).isEqualTo(new DeleteLogFooter(1001, "p0_1001v0", 2, schema, summary.rows()));
        }
    }

    @Test
    void aDeleteLogInMemoryReadsLikeOnDisk() throws Exception {
        Path file = dir.resolve("deletes.parquet");
        new DeleteLogWriter(ParquetConfig.defaults()).write(file, 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), deletes(DataType.INT64, seeds.random(), 5));

        try (DeleteLogReader onDisk = DeleteLogReader.open(file, KEY);
             DeleteLogReader inMemory = DeleteLogReader.open(Files.readAllBytes(file), KEY)) {
            DeleteLogRows a = onDisk.readAll();
            DeleteLogRows b = inMemory.readAll();
            assertThat(b.keys()).isEqualTo(a.keys());
            assertThat(b.timeTicks()).isEqualTo(a.timeTicks());
        }
    }

    @Test
    void aSegmentFileIsNotADeleteLogNorTheOtherWayRound() {
        Path deletes = dir.resolve("deletes.parquet");
        new DeleteLogWriter(ParquetConfig.defaults()).write(deletes, 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), deletes(DataType.INT64, seeds.random(), 2));
        Path segment = dir.resolve("data.parquet");
        new SegmentParquetWriter(ParquetConfig.defaults()).write(segment, SegmentFileReaderTest.SEGMENT,
                TestSchemas.everyTypeV2(DataType.INT64), SegmentFileReaderTest.inserts(DataType.INT64, seeds.random(), 1, 5));

        assertThatThrownBy(() -> SegmentFileReader.open(deletes, KEY))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.DATA_CORRUPTED))
                .hasMessageContainingAll(KEY, "is of kind deletes, not segment");
        assertThatThrownBy(() -> DeleteLogReader.open(segment, "k"))
                .isInstanceOf(StreamingException.class)
                .hasMessageContainingAll("Parquet file k", "is of kind segment, not deletes");
    }

    private static Map<String, Object> row(Object key, long timeTick) {
        Map<String, Object> row = new HashMap<>();
        row.put(ParquetLayout.DELETE_PK, key);
        row.put(ParquetLayout.DELETE_TIME_TICK, timeTick);
        return row;
    }
}
