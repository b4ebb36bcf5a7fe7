package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.PrimaryKeyHash;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The collection commands of {@code tidelog} against a standalone server in this process: what they print. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CollectionCommandsTest {
    static final String SCHEMA = """
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 256},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""";

    @TempDir
    Path dir;
    StandaloneServer server;

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir.resolve("data"), CollectionServiceTest.config());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    CommandRun run(String... args) {
        return CommandRun.against(server.address(), args);
    }

    Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void collectionCreateListDescribeAndDropPrintTextAndJson() throws Exception {
        Path schema = file("schema.json", SCHEMA);
        CommandRun created = run("collection", "create", "--name", "books", "--schema", schema.toString(), "--shards", "2");
        assertThat(created.status()).as(created.err()).isZero();
        assertThat(created.lines().get(0)).matches("collection books \\(id \\d+\\): COLLECTION_CREATED, 2 shards");
        assertThat(created.out()).contains("    id     INT64 primary key  (field 100)", "    emb    FLOAT_VECTOR(4)  (field 103)",
                "partitions: _default (id ");

        CommandRun list = run("collection", "list");
        assertThat(list.lines()).hasSize(2);
        assertThat(list.lines().get(0)).isEqualTo("NAME   ID  STATE               SHARDS  PARTITIONS  FIELDS");
        assertThat(list.lines().get(1)).startsWith("books").contains("COLLECTION_CREATED").endsWith("1           4");

        CommandRun json = run("collection", "describe", "books", "--json");
        assertThat(json.lines()).singleElement().satisfies(l -> assertThat(l)
                .startsWith("{\"name\":\"books\",\"collectionId\":")
                .contains("\"state\":\"COLLECTION_CREATED\",\"shards\":2,\"vchannels\":[\"pchannel-0_",
                        "\"partitions\":[{\"id\":", "\"name\":\"_default\",\"state\":\"PARTITION_CREATED\"}]",
                        "\"schema\":{\"fields\":[{\"name\":\"id\",\"type\":\"INT64\",\"fieldId\":100,\"primaryKey\":true}"));

        CommandRun again = run("collection", "create", "--name", "books", "--schema", schema.toString());
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).startsWith("error: ALREADY_EXISTS: collection 'books' already exists");

        CommandRun dropped = run("collection", "drop", "books", "--json");
        assertThat(dropped.lines()).singleElement().satisfies(l -> assertThat(l).matches(
                "\\{\"name\":\"books\",\"collectionId\":\\d+,\"dropped\":true}"));
        assertThat(run("collection", "list").out()).isEqualTo("no collections" + System.lineSeparator());
        CommandRun missing = run("collection", "describe", "books");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: NOT_FOUND: collection 'books' does not exist");
    }

    @Test
    void collectionCreateRefusesAShardCountBelowOneWithOneLineAndExitStatus2AndTheServerOneAboveItsMaximum()
            throws Exception {
        Path schema = file("schema.json", SCHEMA);
        for (String shards : List.of("0", "-3")) {
            CommandRun r = run("collection", "create", "--name", "books", "--schema", schema.toString(), "--shards", shards);
            assertThat(r.status()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).isEqualTo("error: --shards must be at least 1, got " + shards + System.lineSeparator());
            assertThat(r.out()).isEmpty();
        }
        CommandRun tooMany = run("collection", "create", "--name", "books", "--schema", schema.toString(), "--shards", "17");
        assertThat(tooMany.status()).isEqualTo(1);
        assertThat(tooMany.err()).isEqualTo("error: INVALID_ARGUMENT: a collection has 1 to 16 shards"
                + " (catalog.max.shards), got 17" + System.lineSeparator());
        assertThat(run("collection", "list").out()).isEqualTo("no collections" + System.lineSeparator());

        CommandRun byDefault = run("collection", "create", "--name", "books", "--schema", schema.toString());
        assertThat(byDefault.status()).as(byDefault.err()).isZero();
        assertThat(byDefault.lines().get(0)).endsWith("COLLECTION_CREATED, 1 shard");
    }

    @Test
    void collectionCreateWithReplicasShowsThemInDescribeAndTheServerRefusesMoreThanItsMaximum() throws Exception {
        Path schema = file("schema.json", SCHEMA);
        CommandRun created = run("collection", "create", "--name", "books", "--schema", schema.toString(),
                "--replicas", "2");
        assertThat(created.status()).as(created.err()).isZero();
        assertThat(created.lines()).contains("  replicas:   2");
        CommandRun json = run("collection", "describe", "books", "--json");
        assertThat(json.out()).contains("\"replicas\":2,\"partitions\"");

        CommandRun byDefault = run("collection", "create", "--name", "films", "--schema", schema.toString());
        assertThat(byDefault.lines()).contains("  replicas:   1");

        CommandRun zero = run("collection", "create", "--name", "maps", "--schema", schema.toString(), "--replicas", "0");
        assertThat(zero.status()).isEqualTo(2);
        assertThat(zero.err()).isEqualTo("error: --replicas must be at least 1, got 0" + System.lineSeparator());
        CommandRun tooMany = run("collection", "create", "--name", "maps", "--schema", schema.toString(),
                "--replicas", "4");
        assertThat(tooMany.status()).isEqualTo(1);
        assertThat(tooMany.err()).isEqualTo("error: INVALID_ARGUMENT: a collection has 1 to 3 replicas"
                + " (catalog.max.replicas), got 4" + System.lineSeparator());
    }

    @Test
    void produceToACollectionsVchannelFailsWithInvalidArgumentAndExitStatus1() throws Exception {
        run("collection", "create", "--name", "books", "--schema", file("schema.json", SCHEMA).toString());
        String v;
        try (StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            v = client.collections().describeBlocking("books").vchannels().get(0);
        }
        CommandRun r = run("produce", "--vchannel", v, "--count", "3");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: vchannel " + v
                + ": a RAW message cannot go to a collection's vchannel");
        assertThat(r.out()).isEmpty();
        run("collection", "drop", "books");
        CommandRun dropped = run("produce", "--vchannel", v, "--count", "1");
        assertThat(dropped.status()).isEqualTo(1);
        assertThat(dropped.err()).startsWith("error: INVALID_ARGUMENT: vchannel " + v);

        CommandRun consumed = run("consume", "--vchannel", v, "--json", "--max", "2");
        assertThat(consumed.lines()).hasSize(2);
        assertThat(consumed.lines().get(0)).contains("\"type\":\"CREATE_COLLECTION\"");
        assertThat(consumed.lines().get(1)).contains("\"type\":\"DROP_COLLECTION\"");
    }

    @Test
    void aBadSchemaFileFailsNamingTheField() throws Exception {
        Path schema = file("bad.json", "{\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},"
                + " {\"name\": \"t\", \"type\": \"VARCHAR\"}]}");
        CommandRun r = run("collection", "create", "--name", "books", "--schema", schema.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: field 't'").contains("max_length");
    }

    @Test
    void queryGetAndSearchPrintTablesForPeopleAndOneJsonObjectPerRowForScripts() throws Exception {
        run("collection", "create", "--name", "books", "--schema", file("schema.json", SCHEMA).toString(), "--shards", "2");
        StringBuilder rows = new StringBuilder();
        for (int i = 1; i <= 6; i++) {
            rows.append("{\"id\": ").append(i).append(", \"title\": \"book ").append(i).append("\", \"price\": ")
                    .append(i % 2 == 0 ? "null" : String.valueOf(i)).append(", \"emb\": [").append(i)
                    .append(", 0, 0, 0]}\n");
        }
        assertThat(run("insert", "--collection", "books", "--file", file("rows.jsonl", rows.toString()).toString())
                .status()).isZero();

        CommandRun json = run("query", "--collection", "books", "--filter", "id > 2 and price is not null",
                "--output", "title,price", "--json");
        assertThat(json.status()).as(json.err()).isZero();
        assertThat(json.lines()).containsExactly("{\"id\":3,\"title\":\"book 3\",\"price\":3.0}",
                "{\"id\":5,\"title\":\"book 5\",\"price\":5.0}");

        CommandRun table = run("query", "--collection", "books", "--filter", "price is null", "--output", "price",
                "--limit", "2", "--consistency", "eventually");
        assertThat(table.lines()).containsExactly("ID  PRICE", "2   null", "4   null", "(2 rows)");

        CommandRun got = run("get", "--collection", "books", "--pks", "6,1,99", "--json");
        assertThat(got.lines()).containsExactly("{\"id\":1}", "{\"id\":6}");

        CommandRun found = run("search", "--collection", "books", "--field", "emb", "--vector", "[4.2, 0, 0, 0]",
                "--topk", "2", "--output", "title", "--json");
        assertThat(found.status()).as(found.err()).isZero();
        assertThat(found.lines()).hasSize(2);
        assertThat(found.lines().get(0)).startsWith("{\"id\":4,\"title\":\"book 4\",\"_score\":0.0");
        assertThat(found.lines().get(1)).startsWith("{\"id\":5,\"title\":\"book 5\",\"_score\":0.6");

        CommandRun bad = run("query", "--collection", "books", "--filter", "pages > 3");
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: INVALID_ARGUMENT: ").contains("'pages'", "1:1");
        CommandRun badLevel = run("query", "--collection", "books", "--consistency", "sometimes");
        assertThat(badLevel.status()).isEqualTo(1);
        assertThat(badLevel.err()).contains("--consistency must be strong, bounded, session or eventually");
        CommandRun badVector = run("search", "--collection", "books", "--field", "emb", "--vector", "[1, 2]", "--topk", "1");
        assertThat(badVector.status()).isEqualTo(1);
        assertThat(badVector.err()).contains("'emb'", "dimension 4");
    }

    @Test
    void insertDeleteFlushAndConsumeWorkOnACollection() throws Exception {
        run("collection", "create", "--name", "books", "--schema", file("schema.json", SCHEMA).toString(), "--shards", "2");
        StringBuilder rows = new StringBuilder();
        for (int i = 1; i <= 25; i++) {
            rows.append("{\"id\": ").append(i).append(", \"title\": \"book ").append(i)
                    .append("\", \"emb\": [0.1, 0.2, 0.3, 0.4]}\n");
        }
        CommandRun inserted = run("insert", "--collection", "books", "--file", file("rows.jsonl", rows.toString()).toString(),
                "--batch-rows", "10", "--json");
        assertThat(inserted.status()).as(inserted.err()).isZero();
        assertThat(inserted.lines()).singleElement().satisfies(l -> assertThat(l)
                .matches("\\{\"collection\":\"books\",\"collectionId\":\\d+,\"rows\":25,\"messages\":6}"));

        CommandRun bad = run("insert", "--collection", "books", "--file",
                file("bad.jsonl", "{\"id\": 100, \"title\": \"x\", \"emb\": [1, 2, 3, 4]}\n\n{\"id\": 101, \"title\": 5, \"emb\": [1, 2, 3, 4]}\n")
                        .toString());
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).contains("error: INVALID_ARGUMENT: row 3: field 'title' expected a string, got a number 5")
                .contains("1 rows were inserted before the error");

        CommandRun deleted = run("delete", "--collection", "books", "--pks", "1,2,3");
        assertThat(deleted.out()).startsWith("deleted 3 primary keys from books (");
        CommandRun badPk = run("delete", "--collection", "books", "--pks", "1,x");
        assertThat(badPk.status()).isEqualTo(1);
        assertThat(badPk.err()).contains("primary key 'x' is not an INT64");

        CommandRun flushed = run("flush", "--collection", "books", "--json", "--wait");
        assertThat(flushed.status()).as(flushed.err()).isZero();
        assertThat(flushed.lines()).singleElement().satisfies(l -> assertThat(l).matches(
                "\\{\"collection\":\"books\",\"collectionId\":\\d+,\"flushTimeTick\":\\d+,\"segmentIds\":\\[[0-9,]+],\"uploaded\":true}"));
        String sealed = flushed.lines().get(0).replaceAll(".*\"segmentIds\":\\[([0-9,]+)].*", "$1");
        CommandRun listed = run("segments", "--collection", "books", "--json");
        for (String id : sealed.split(",")) {
            assertThat(listed.lines()).as("segment %s is in object storage once flush --wait returned", id)
                    .anyMatch(l -> l.contains("\"segmentId\":" + id + ",") && l.contains("FLUSHED"));
        }
        assertThat(run("flush", "--collection", "books").out()).startsWith("flushed collection books up to tt=");

        CommandRun created = run("partition", "create", "--collection", "books", "--name", "p2", "--json");
        assertThat(created.lines()).singleElement().satisfies(l -> assertThat(l).matches(
                "\\{\"collection\":\"books\",\"collectionId\":\\d+,\"partition\":\"p2\",\"partitionId\":\\d+,\"state\":\"PARTITION_CREATED\"}"));
        assertThat(run("partition", "drop", "--collection", "books", "--name", "p2").out())
                .startsWith("dropped partition p2 (id ");

        CollectionDescription c;
        try (StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            c = client.collections().describeBlocking("books");
        }
        String v = c.vchannelOf(1L);
        CommandRun consumed = run("consume", "--vchannel", v, "--json", "--max", "3");
        assertThat(consumed.lines()).hasSize(3);
        assertThat(consumed.lines().get(0)).contains("\"type\":\"CREATE_COLLECTION\"", "\"name\":\"books\"");
        assertThat(consumed.lines().get(1)).contains("\"type\":\"CREATE_SEGMENT\"", "\"collectionId\":" + c.id());
        String segment = consumed.lines().get(1).replaceAll(".*\"segmentId\":(\\d+).*", "$1");
        assertThat(consumed.lines().get(2)).contains("\"type\":\"INSERT\"", "\"collectionId\":" + c.id(),
                "\"segmentId\":" + segment, "{\"id\":1,\"title\":\"book 1\",\"price\":null,\"emb\":[0.1,0.2,0.3,0.4]}");
        CommandRun text = run("consume", "--vchannel", v, "--max", "3");
        assertThat(text.lines().get(2)).contains(" INSERT collection=" + c.id() + " partition=")
                .contains(" segment=" + segment + " ");
        assertThat(PrimaryKeyHash.shardOf(1L, 2)).isEqualTo(c.vchannels().indexOf(v));
    }
}
