package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Flushed;
import io.tidelog.client.StreamingClient;
import io.tidelog.objectstore.s3.S3ProxyServer;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Standalone with its historical data in S3 ({@code objectstore.uri = s3://bucket/prefix}, endpoint and
 * credentials from {@code objectstore.s3.*}) against a real S3 server (s3proxy) in the test JVM: the flushed
 * segments and delete logs land in the bucket under the prefix, and DuckDB reads the downloaded files.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StandaloneS3Test {
    static final String BUCKET = "history";

    @TempDir
    Path dir;
    S3ProxyServer s3;

    @BeforeEach
    void startS3() throws Exception {
        s3 = new S3ProxyServer();
        s3.createBucket(BUCKET);
    }

    @AfterEach
    void stopS3() {
        s3.close();
    }

    @Test
    void flushedSegmentsAndDeleteLogsGoToTheBucketAndEveryRowIsThereOnce() throws Exception {
        Map<String, String> config = new HashMap<>(Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "objectstore.uri", "s3://" + BUCKET + "/tidelog"));
        config.putAll(s3.settings());
        List<Long> flushedIds;
        List<SegmentInfo> listed;
        try (StandaloneServer server = TestStandalone.start(dir.resolve("data"), config);
             StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            client.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 2);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (long id = 1; id <= 500; id++) {
                rows.add(HistoricalDataKillNineTest.row(id));
            }
            client.insert("events", rows).get(30, TimeUnit.SECONDS);
            client.delete("events", List.of(7L, 8L, 9L)).get(30, TimeUnit.SECONDS);
            Flushed flushed = client.collections().flushBlocking("events");
            flushedIds = flushed.segmentIds();
            listed = client.collections().segmentsBlocking("events");
        }
        assertThat(dir.resolve("data").resolve("objects")).doesNotExist();
        assertThat(listed).filteredOn(s -> s.getState() == SegmentState.SEGMENT_FLUSHED)
                .extracting(SegmentInfo::getSegmentId).containsExactlyInAnyOrderElementsOf(flushedIds);

        Path local = Files.createDirectories(dir.resolve("download"));
        List<String> keys = new ArrayList<>();
        for (S3Object o : s3.admin().listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("tidelog/")).contents()) {
            keys.add(o.key());
            Path to = local.resolve(o.key());
            Files.createDirectories(to.getParent());
            s3.admin().getObject(b -> b.bucket(BUCKET).key(o.key()), to);
        }
        assertThat(keys).allMatch(k -> k.startsWith("tidelog/collections/"))
                .anyMatch(k -> k.endsWith("/data.parquet")).anyMatch(k -> k.endsWith("manifest.json"));
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement s = duck.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM read_parquet('"
                    + local + "/tidelog/collections/*/segments/*/data.parquet')")) {
                r.next();
                assertThat(List.of(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4)))
                        .containsExactly(500L, 500L, 1L, 500L);
            }
            try (ResultSet r = s.executeQuery("SELECT list_sort(list(pk)) FROM read_parquet('"
                    + local + "/tidelog/collections/*/deletes/*/*.parquet')")) {
                r.next();
                assertThat(r.getString(1)).isEqualTo("[7, 8, 9]");
            }
        }
    }
}
