package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.testing.Seeds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sanity check of read speed, not a timed assertion (machines differ): {@link WriteThroughputTest}'s
 * 100,000 rows of an INT64 key, a 32-character VARCHAR and a 128-dimensional vector, read back whole and
 * a row group at a time. The measurements go to the test's output.
 */
class ReadThroughputTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    @Test
    void aHundredThousandRowsWithVectorsAreReadBackWholeAndByRowGroup() {
        CollectionSchema schema = CollectionSchema.newBuilder().setVersion(1)
                .addFields(TestSchemas.field("id", DataType.INT64, 1).toBuilder().setPrimaryKey(true))
                .addFields(TestSchemas.varchar("title", 32, false, 2))
                .addFields(TestSchemas.vector("emb", WriteThroughputTest.DIM, 3))
                .build();
        Path file = dir.resolve("data.parquet");
        new SegmentParquetWriter(new ParquetConfig(8 << 20, 1 << 20, 3, false))
                .write(file, new SealedSegment(1, 2, 3, "p_s"), schema, WriteThroughputTest.inserts(seeds.random()));

        long[] nanos = new long[4];
        int groups = 0;
        for (int run = 0; run < nanos.length; run++) {
            long start = System.nanoTime();
            try (SegmentFileReader reader = SegmentFileReader.open(file, "k")) {
                long rows = 0;
                if (run % 2 == 0) {
                    rows = reader.readAll().rowCount();
                } else {
                    groups = reader.footer().rowGroups();
                    for (int g = 0; g < groups; g++) {
                        rows += reader.readRowGroup(g).rowCount();
                    }
                }
                assertThat(rows).isEqualTo(WriteThroughputTest.ROWS);
            }
            nanos[run] = System.nanoTime() - start;
        }
        System.out.printf("read %d rows (INT64, VARCHAR 32, FLOAT_VECTOR %d): whole %d ms, %d ms; %d row groups one"
                        + " at a time %d ms, %d ms%n", WriteThroughputTest.ROWS, WriteThroughputTest.DIM,
                nanos[0] / 1_000_000, nanos[2] / 1_000_000, groups, nanos[1] / 1_000_000, nanos[3] / 1_000_000);
    }
}
