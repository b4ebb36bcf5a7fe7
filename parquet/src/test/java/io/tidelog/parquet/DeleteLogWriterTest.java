package io.tidelog.parquet;

import io.tidelog.testing.Seeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.StringArray;
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

/** Delete logs as DuckDB sees them. */
class DeleteLogWriterTest {
    static DuckDb duck;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    final DeleteLogWriter writer = new DeleteLogWriter(ParquetConfig.defaults());

    @BeforeAll
    static void startDuckDb() throws Exception {
        duck = new DuckDb();
    }

    @AfterAll
    static void stopDuckDb() throws Exception {
        duck.close();
    }

    @Test
    void int64KeysAndTheirTimeTicksReadBackInLogOrder() throws Exception {
        Random random = seeds.random();
        List<DeletedKeys> deletes = new ArrayList<>();
        List<Map<String, Object>> expected = new ArrayList<>();
        long timeTick = 1000;
        for (int d = 0; d < 20; d++) {
            timeTick += random.nextInt(3);
            Int64Array.Builder keys = Int64Array.newBuilder();
            for (int k = 0, n = 1 + random.nextInt(30); k < n; k++) {
                long key = random.nextLong();
                keys.addValues(key);
                expected.add(Map.of(ParquetLayout.DELETE_PK, key, ParquetLayout.DELETE_TIME_TICK, timeTick));
            }
            deletes.add(new DeletedKeys(DeleteBody.newBuilder().setIntPks(keys).build(), timeTick));
        }
        Path file = dir.resolve("deletes.parquet");

        FileSummary summary = writer.write(file, 1001, "p0_1001v0", TestSchemas.everyTypeV2(DataType.INT64), deletes);

        assertThat(duck.query("SELECT pk, _delete_time_tick FROM " + DuckDb.readParquet(file))).isEqualTo(expected);
        assertThat(duck.query("DESCRIBE SELECT * FROM " + DuckDb.readParquet(file)).stream()
                .map(r -> r.get("column_name") + " " + r.get("column_type")))
                .containsExactly("pk BIGINT", "_delete_time_tick BIGINT");
        assertThat(summary.rows()).isEqualTo(expected.size());
        assertThat(summary.minTimeTick()).isEqualTo(deletes.get(0).timeTick());
        assertThat(summary.maxTimeTick()).isEqualTo(timeTick);
        CRC32C crc = new CRC32C();
        crc.update(Files.readAllBytes(file));
        assertThat(summary.crc32c()).isEqualTo((int) crc.getValue());
        assertThat(summary.bytes()).isEqualTo(Files.size(file));
    }

    @Test
    void varcharKeysReadBackAsTextWithTheFooterNamingTheVchannel() throws Exception {
        RandomInserts text = new RandomInserts(seeds.random(), 0);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            keys.add(i + ":" + text.text(30));
        }
        List<DeletedKeys> deletes = List.of(
                new DeletedKeys(DeleteBody.newBuilder().setStringPks(StringArray.newBuilder()
                        .addAllValues(keys.subList(0, 20))).build(), 7),
                new DeletedKeys(DeleteBody.newBuilder().setStringPks(StringArray.newBuilder()
                        .addAllValues(keys.subList(20, 50))).build(), 9));
        Path file = dir.resolve("deletes.parquet");

        writer.write(file, 1001, "p0_1001v0", TestSchemas.everyTypeV2(DataType.VARCHAR), deletes);

        List<Map<String, Object>> read = duck.query("SELECT pk, _delete_time_tick FROM " + DuckDb.readParquet(file));
        assertThat(read).extracting(r -> r.get("pk")).containsExactlyElementsOf(keys);
        assertThat(read).extracting(r -> r.get(ParquetLayout.DELETE_TIME_TICK))
                .containsExactlyElementsOf(keys.stream().map(k -> keys.indexOf(k) < 20 ? 7L : 9L).toList());
        Map<String, Object> footer = duck.query("SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata("
                + DuckDb.literal(file) + ")").stream().collect(Collectors.toMap(r -> (String) r.get("k"), r -> r.get("v")));
        assertThat(footer).containsEntry(ParquetLayout.KIND, "deletes").containsEntry(ParquetLayout.VCHANNEL, "p0_1001v0")
                .containsEntry(ParquetLayout.COLLECTION_ID, "1001").doesNotContainKey(ParquetLayout.SEGMENT_ID);
        assertThat(duck.query("SELECT DISTINCT compression FROM parquet_metadata(" + DuckDb.literal(file) + ")"))
                .containsExactly(Map.of("compression", "ZSTD"));
    }

    @Test
    void anEmptyListOfDeletesIsRejected() {
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), List.of()))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("a delete log has at least one key");
        assertThat(dir.resolve("d.parquet")).doesNotExist();
    }

    @Test
    void keysOfTheWrongTypeAreRejectedByIndex() {
        List<DeletedKeys> deletes = List.of(
                new DeletedKeys(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(1)).build(), 1),
                new DeletedKeys(DeleteBody.newBuilder().setStringPks(StringArray.newBuilder().addValues("a")).build(), 2));
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), deletes))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContainingAll("delete 1 (time tick 2)", "needs int_pks");
    }

    @Test
    void aDeleteWithoutKeysIsRejected() {
        List<DeletedKeys> deletes = List.of(new DeletedKeys(DeleteBody.getDefaultInstance(), 1));
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), deletes))
                .isInstanceOf(StreamingException.class)
                .hasMessageContainingAll("delete 0", "a delete needs primary keys");
    }

    @Test
    void deletesOutOfLogOrderAreRejected() {
        DeleteBody keys = DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(1)).build();
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 1001, "p0_1001v0",
                TestSchemas.everyTypeV2(DataType.INT64), List.of(new DeletedKeys(keys, 9), new DeletedKeys(keys, 8))))
                .isInstanceOf(StreamingException.class)
                .hasMessageContainingAll("delete 1 (time tick 8)", "time ticks decrease");
    }

    @Test
    void aBadVchannelOrCollectionIdIsRejected() {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        List<DeletedKeys> deletes = List.of(new DeletedKeys(
                DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(1)).build(), 1));
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 1001, "no-separator", schema, deletes))
                .isInstanceOf(StreamingException.class).hasMessageContaining("vchannel");
        assertThatThrownBy(() -> writer.write(dir.resolve("d.parquet"), 0, "p0_1001v0", schema, deletes))
                .isInstanceOf(StreamingException.class).hasMessageContaining("positive collection id");
    }
}
