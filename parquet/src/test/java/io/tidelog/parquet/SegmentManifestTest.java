package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.parquet.SegmentManifest.FileEntry;
import io.tidelog.parquet.SegmentManifest.Kind;
import io.tidelog.parquet.SegmentManifest.Role;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SegmentManifestTest {
    static final SealedSegment SEGMENT = new SealedSegment(1001, 2001, 7, "p0_1001v0");
    static final FileSummary DATA = new FileSummary(3, 4096, 100, 180, 0x0a1b2c3d);

    static final String SEGMENT_JSON = "{\"format\":1,\"kind\":\"segment\",\"segmentId\":7,\"collectionId\":1001,"
            + "\"partitionId\":2001,\"vchannel\":\"p0_1001v0\",\"schemaVersion\":2,\"rows\":3,\"minTimeTick\":100,"
            + "\"maxTimeTick\":180,\"files\":[{\"key\":\"collections/1001/segments/7/data.parquet\",\"bytes\":4096,"
            + "\"rows\":3,\"checksum\":\"crc32c:0a1b2c3d\",\"role\":\"data\"}]}";

    static SegmentManifest segment() {
        return SegmentManifest.ofSegment(SEGMENT, 2, SegmentKeys.segmentData(1001, 7), DATA);
    }

    static void corrupted(String json, String... fragments) {
        assertThatThrownBy(() -> SegmentManifest.fromJson(json))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.DATA_CORRUPTED))
                .hasMessageContaining("bad manifest: ")
                .hasMessageContainingAll(fragments);
    }

    @Test
    void aWrittenSegmentsManifestDescribesItsFile(@TempDir Path dir) throws Exception {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.INT64);
        RandomInserts gen = new RandomInserts(new Random(7), 1);
        List<InsertedRows> inserts = List.of(new InsertedRows(gen.insert(schema, 10), 100),
                new InsertedRows(gen.insert(schema, 5), 120));
        Path file = dir.resolve("data.parquet");
        FileSummary summary = new SegmentParquetWriter(ParquetConfig.defaults()).write(file, SEGMENT, schema, inserts);
        String key = SegmentKeys.segmentData(SEGMENT.collectionId(), SEGMENT.segmentId());

        SegmentManifest m = SegmentManifest.fromJson(SegmentManifest.ofSegment(SEGMENT, schema.getVersion(), key, summary)
                .toJson());

        CRC32C crc = new CRC32C();
        crc.update(Files.readAllBytes(file));
        assertThat(m.rows()).isEqualTo(15);
        assertThat(m.minTimeTick()).isEqualTo(100);
        assertThat(m.maxTimeTick()).isEqualTo(120);
        assertThat(m.schemaVersion()).isEqualTo(2);
        assertThat(m.files()).containsExactly(new FileEntry(key, Files.size(file), 15,
                String.format("crc32c:%08x", (int) crc.getValue()), Role.DATA));
    }

    @Test
    void aSegmentManifestIsWrittenWithStableKeysInAFixedOrder() {
        assertThat(segment().toJson()).isEqualTo(SEGMENT_JSON);
    }

    @Test
    void aSegmentManifestReadsBackEqual() {
        assertThat(SegmentManifest.fromJson(SEGMENT_JSON)).isEqualTo(segment());
        assertThat(SegmentManifest.fromJson(segment().toJson()).toJson()).isEqualTo(SEGMENT_JSON);
    }

    @Test
    void aDeleteManifestHasNoSegmentOrPartitionAndReadsBackEqual() {
        FileSummary deletes = new FileSummary(12, 900, 5, Long.MAX_VALUE, -1);
        String key = SegmentKeys.deleteLog(1001, "p0_1001v0", 5, Long.MAX_VALUE);
        SegmentManifest m = SegmentManifest.ofDeletes(1001, "p0_1001v0", 2, key, deletes);

        assertThat(m.kind()).isEqualTo(Kind.DELETES);
        assertThat(m.segmentId()).isZero();
        assertThat(m.partitionId()).isZero();
        assertThat(m.files()).containsExactly(new FileEntry(key, 900, 12, "crc32c:ffffffff", Role.DELETES));
        assertThat(m.toJson()).contains("\"kind\":\"deletes\"", "\"maxTimeTick\":9223372036854775807",
                "\"role\":\"deletes\"");
        assertThat(SegmentManifest.fromJson(m.toJson())).isEqualTo(m);
    }

    @Test
    void whitespaceAndKeyOrderDoNotMatterWhenReading() {
        String json = """
                { "files": [ {"role": "data", "checksum": "crc32c:0a1b2c3d", "rows": 3, "bytes": 4096,
                              "key": "collections/1001/segments/7/data.parquet"} ],
                  "maxTimeTick": 180, "minTimeTick": 100, "rows": 3, "schemaVersion": 2, "vchannel": "p0_1001v0",
                  "partitionId": 2001, "collectionId": 1001, "segmentId": 7, "kind": "segment", "format": 1 }
                """;
        assertThat(SegmentManifest.fromJson(json)).isEqualTo(segment());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "'{\"format\":1,'|not valid JSON",
        "'[1,2]'|the manifest is not a JSON object",
        "'{\"format\":1} {}'|text after",
        "'{format:1}'|not valid JSON: malformed JSON at line 1 column 3",
        "'{\"format\":2}'|format 2 is not supported",
        "'{\"format\":\"1\"}'|\"format\" must be an integer",
        "'{\"format\":1.0}'|\"format\" must be an integer",
        "'{\"format\":1,\"extra\":true}'|unknown key \"extra\"",
        "'{\"format\":1,\"files\":[]}'|\"kind\" is missing",
        "'{\"format\":1,\"files\":{}}'|\"files\" must be an array",
    })
    void malformedTextIsCorrupted(String json, String problem) {
        corrupted(json, problem);
    }

    @Test
    void emptyOrMissingTextIsCorrupted() {
        corrupted("", "the manifest is empty");
        corrupted(" \n", "the manifest is empty");
        corrupted(null, "the manifest is empty");
    }

    @Test
    void aManifestBreakingAnInvariantIsCorrupted() {
        corrupted(SEGMENT_JSON.replace("\"rows\":3,\"minTimeTick\"", "\"rows\":4,\"minTimeTick\""),
                "rows is 4 but the files hold 3");
        corrupted(SEGMENT_JSON.replace("\"segmentId\":7", "\"segmentId\":0"), "segmentId and partitionId positive");
        corrupted(SEGMENT_JSON.replace("\"kind\":\"segment\"", "\"kind\":\"deletes\""),
                "a deletes manifest needs segmentId and partitionId 0");
        corrupted(SEGMENT_JSON.replace("\"kind\":\"segment\"", "\"kind\":\"SEGMENT\""), "kind 'SEGMENT'");
        corrupted(SEGMENT_JSON.replace("\"role\":\"data\"", "\"role\":\"index\""), "files[0]: role 'index'");
        corrupted(SEGMENT_JSON.replace("crc32c:0a1b2c3d", "crc32c:0A1B2C3D"), "needs a checksum");
        corrupted(SEGMENT_JSON.replace("\"minTimeTick\":100", "\"minTimeTick\":200"), "minTimeTick <= maxTimeTick");
        corrupted(SEGMENT_JSON.replace("\"vchannel\":\"p0_1001v0\"", "\"vchannel\":\"p0\""), "vchannel 'p0'");
        corrupted(SEGMENT_JSON.replace("\"bytes\":4096,", ""), "\"bytes\" is missing");
        corrupted(SEGMENT_JSON.replace("\"rows\":3,\"checksum\"", "\"rows\":3,\"size\":1,\"checksum\""),
                "files[0] has unknown key \"size\"");
        corrupted(SEGMENT_JSON.replace("\"minTimeTick\":100", "\"minTimeTick\":18446744073709551615"),
                "\"minTimeTick\" must be an integer");
    }

    @Test
    void aManifestBuiltWrongIsAnInvalidArgument() {
        assertThatThrownBy(() -> new SegmentManifest(1, Kind.SEGMENT, 7, 1001, 2001, "p0_1001v0", 2, 3, 100, 180,
                List.of()))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("at least one file");
        assertThatThrownBy(() -> new FileEntry("/abs", 1, 1, "crc32c:00000000", Role.DATA))
                .isInstanceOf(StreamingException.class).hasMessageContaining("relative key");
        assertThatThrownBy(() -> new SegmentManifest(1, Kind.SEGMENT, 7, 1001, 2001, "p0_1001v0", 2, 3, 100, 180,
                List.of(FileEntry.of("k", DATA, Role.DELETES))))
                .isInstanceOf(StreamingException.class).hasMessageContaining("lists only data files");
    }
}
