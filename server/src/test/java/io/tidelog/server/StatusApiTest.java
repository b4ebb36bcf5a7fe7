package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import io.tidelog.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/status}, what the status page polls, without a browser: the pchannels with the owner, term and state
 * {@code GetStatus} gives, and a collection's segments with the states and rows {@code ListSegments} gives, 64-bit ids
 * as strings.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusApiTest {
    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theStatusApiShowsThePchannelsOfGetStatusAndTheSegmentsOfListSegments() throws Exception {
        server = TestStandalone.start(dir, Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB"));
        client = StreamingClient.builder().target(server.address()).build();
        client.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 1);
        insert(1, 20);
        client.collections().flushBlocking("events");
        Await.until("the flushed segment in object storage", Duration.ofSeconds(60), () -> client.collections()
                .segmentsBlocking("events").stream().anyMatch(s -> s.getState() == SegmentState.SEGMENT_FLUSHED));
        insert(21, 25);
        Await.until("the growing rows counted", Duration.ofSeconds(60),
                () -> client.collections().segmentsBlocking("events").stream().mapToLong(SegmentInfo::getRows)
                        .sum() == 25);

        JsonObject status = JsonParser.parseString(Exposition.get(server.httpAddress(), "/api/status").body())
                .getAsJsonObject();
        assertThat(status.get("now").getAsLong()).isPositive();
        JsonArray pchannels = status.getAsJsonArray("pchannels");
        ClusterStatus expected = client.statusBlocking();
        assertThat(pchannels).hasSize(expected.pchannels().size());
        Map<String, ClusterStatus.PchannelStatus> byName = expected.pchannels().stream()
                .collect(Collectors.toMap(ClusterStatus.PchannelStatus::pchannel, p -> p));
        for (JsonElement element : pchannels) {
            JsonObject p = element.getAsJsonObject();
            ClusterStatus.PchannelStatus e = byName.get(p.get("pchannel").getAsString());
            assertThat(e).as(p.toString()).isNotNull();
            assertThat(p.get("nodeId").getAsString()).isEqualTo(e.nodeId());
            assertThat(p.get("term").getAsLong()).isEqualTo(e.term());
            assertThat(p.get("state").getAsString()).isEqualTo("ASSIGNED");
            assertThat(p.get("available").getAsBoolean()).isTrue();
            assertThat(p.get("appended").getAsLong()).isNotNegative();
            assertThat(p.get("lagMillis").getAsLong()).isNotNegative();
        }

        JsonObject events = status.getAsJsonArray("collections").get(0).getAsJsonObject();
        assertThat(events.get("name").getAsString()).isEqualTo("events");
        assertThat(events.get("state").getAsString()).isEqualTo("created");
        assertThat(events.get("rows").getAsLong()).isEqualTo(25);
        Set<String> shown = new TreeSet<>();
        for (JsonElement s : events.getAsJsonArray("segments")) {
            JsonObject o = s.getAsJsonObject();
            assertThat(o.get("id").getAsJsonPrimitive().isString()).as("a 64-bit id as a string").isTrue();
            shown.add(o.get("id").getAsString() + ":" + o.get("state").getAsString() + ":" + o.get("rows").getAsLong());
        }
        Set<String> listed = new TreeSet<>();
        for (SegmentInfo s : client.collections().segmentsBlocking("events")) {
            listed.add(s.getSegmentId() + ":" + (s.getState() == SegmentState.SEGMENT_FLUSHED ? "flushed" : "growing")
                    + ":" + s.getRows());
        }
        assertThat(shown).isEqualTo(listed).anyMatch(s -> s.contains(":flushed:20"))
                .anyMatch(s -> s.contains(":growing:5"));
    }

    private void insert(long from, long to) throws Exception {
        List<Map<String, Object>> rows = LongStream.rangeClosed(from, to).mapToObj(HistoricalDataKillNineTest::row)
                .collect(Collectors.toList());
        assertThat(client.insert("events", rows).get(30, TimeUnit.SECONDS).rows()).isEqualTo(rows.size());
    }
}
