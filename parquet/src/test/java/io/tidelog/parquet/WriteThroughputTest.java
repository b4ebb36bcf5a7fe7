package io.tidelog.parquet;

import io.tidelog.testing.Seeds;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.StringArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sanity check of write speed, not a timed assertion (machines differ): 100,000 rows of an INT64 key, a
 * 32-character VARCHAR and a 128-dimensional vector, in inserts of 1,000 rows, should take on the order of
 * a second. The measurements go to the test's output.
 */
class WriteThroughputTest {
    static final int ROWS = 100_000;
    static final int BATCH = 1_000;
    static final int DIM = 128;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    @Test
    void aHundredThousandRowsWithVectorsAreWrittenAndReadBackWhole() throws Exception {
        CollectionSchema schema = CollectionSchema.newBuilder().setVersion(1)
                .addFields(TestSchemas.field("id", DataType.INT64, 1).toBuilder().setPrimaryKey(true))
                .addFields(TestSchemas.varchar("title", 32, false, 2))
                .addFields(TestSchemas.vector("emb", DIM, 3))
                .build();
        List<InsertedRows> inserts = inserts(seeds.random());
        SegmentParquetWriter writer = new SegmentParquetWriter(ParquetConfig.defaults());

        FileSummary summary = null;
        long[] nanos = new long[3];
        for (int run = 0; run < nanos.length; run++) {
            long start = System.nanoTime();
            summary = writer.write(dir.resolve("data.parquet"), new SealedSegment(1, 2, 3, "p_s"), schema, inserts);
            nanos[run] = System.nanoTime() - start;
        }
        System.out.printf("%d rows (INT64, VARCHAR 32, FLOAT_VECTOR %d): %d bytes (%.1f bytes/row, raw vectors alone"
                + " %d bytes/row); runs %d ms, %d ms, %d ms%n", ROWS, DIM, summary.bytes(), summary.bytes() / (double) ROWS,
                4 * DIM, nanos[0] / 1_000_000, nanos[1] / 1_000_000, nanos[2] / 1_000_000);

        assertThat(summary.rows()).isEqualTo(ROWS);
        try (DuckDb duck = new DuckDb()) {
            assertThat(duck.query("SELECT count(*) AS n, count(DISTINCT id) AS ids, min(len(emb)) AS lo,"
                    + " max(len(emb)) AS hi FROM " + DuckDb.readParquet(dir.resolve("data.parquet"))))
                    .containsExactly(java.util.Map.of("n", (long) ROWS, "ids", (long) ROWS, "lo", (long) DIM,
                            "hi", (long) DIM));
        }
    }

    static List<InsertedRows> inserts(Random random) {
        List<InsertedRows> inserts = new ArrayList<>();
        char[] chars = new char[32];
        for (int b = 0; b < ROWS / BATCH; b++) {
            Int64Array.Builder ids = Int64Array.newBuilder();
            StringArray.Builder titles = StringArray.newBuilder();
            FloatVectorArray.Builder vectors = FloatVectorArray.newBuilder().setDim(DIM);
            for (int r = 0; r < BATCH; r++) {
                ids.addValues((long) b * BATCH + r);
                for (int c = 0; c < chars.length; c++) {
                    chars[c] = (char) ('a' + random.nextInt(26));
                }
                titles.addValues(new String(chars));
                for (int d = 0; d < DIM; d++) {
                    vectors.addValues(random.nextFloat() - 0.5f);
                }
            }
            InsertBody body = InsertBody.newBuilder().setNumRows(BATCH)
                    .addColumns(Column.newBuilder().setFieldName("id").setInt64S(ids))
                    .addColumns(Column.newBuilder().setFieldName("title").setStrings(titles))
                    .addColumns(Column.newBuilder().setFieldName("emb").setFloatVectors(vectors))
                    .build();
            inserts.add(new InsertedRows(body, 1000L + b));
        }
        return inserts;
    }
}
