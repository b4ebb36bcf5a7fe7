package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DDL broadcast across a real {@code kill -9} of the standalone server (coordinator and node in one
 * child process): the broadcaster is made to stop between appends (3 of 6 vchannels have the
 * CreateCollection, the third one's acknowledgement is not persisted), the process is killed, and after a
 * restart the DDL reaches every vchannel exactly once, checked by reading each vchannel's whole history.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BroadcastKillNineTest {
    static final CollectionSchema SCHEMA = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2}]}""");
    static final int SHARDS = 6;
    static final int APPENDS_BEFORE_KILL = 3;

    @TempDir
    Path dir;
    StandaloneProcess server;
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

    CollectionDescription describeOrNull(String name) {
        try {
            return client.collections().withTimeout(Duration.ofSeconds(5)).describeBlocking(name);
        } catch (StreamingException e) {
            return null;
        }
    }

    long vchannelsWithCreateCollection(List<String> vchannels) {
        return vchannels.stream()
                .filter(v -> VchannelHistory.of(client, v).stream().anyMatch(m -> m.type() == MessageType.CREATE_COLLECTION))
                .count();
    }

    @Test
    void aCoordinatorKilledBetweenBroadcastAppendsDeliversTheDdlToEveryVchannelExactlyOnceAfterRestart() throws Exception {
        server = new StandaloneProcess(dir.resolve("data"), List.of("--pchannels", "4",
                "-c", "wal.local.segment.bytes=4MiB", "-c", "wal.local.spare.segments=1", "-c", "message.max.bytes=1MiB"));
        server.start(List.of("-c", "catalog.broadcast.pause.after.appends=" + APPENDS_BEFORE_KILL));
        client = StreamingClient.builder().target(server.address()).build();

        CompletableFuture<CollectionDescription> create = client.collections().withTimeout(Duration.ofMinutes(2))
                .create("books", SCHEMA, SHARDS);
        Await.until("the broadcaster paused", Duration.ofSeconds(60), () -> {
            try {
                return server.log().contains("broadcast paused");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        CollectionDescription creating = client.collections().describeBlocking("books");
        assertThat(creating.state()).isEqualTo(CollectionState.COLLECTION_CREATING);
        assertThat(creating.vchannels()).hasSize(SHARDS);
        Await.until("the appends sent before the pause are durable", Duration.ofSeconds(60),
                () -> vchannelsWithCreateCollection(creating.vchannels()) == APPENDS_BEFORE_KILL);

        server.kill9();
        assertThat(create).failsWithin(Duration.ofSeconds(60));
        server.start();

        Await.until("the collection is created after the restart", Duration.ofSeconds(60), () -> {
            CollectionDescription c = describeOrNull("books");
            return c != null && c.state() == CollectionState.COLLECTION_CREATED;
        });
        CollectionDescription created = client.collections().describeBlocking("books");
        assertThat(created.id()).isEqualTo(creating.id());
        assertThat(created.vchannels()).isEqualTo(creating.vchannels());
        for (String v : created.vchannels()) {
            List<ImmutableMessage> history = VchannelHistory.of(client, v);
            assertThat(history).as("the history of %s", v).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.CREATE_COLLECTION);
                assertThat(m.header(CreateCollectionHeader.class).getCollectionId()).isEqualTo(created.id());
            });
        }
        assertThat(server.log()).contains("resuming broadcast task");
    }
}
