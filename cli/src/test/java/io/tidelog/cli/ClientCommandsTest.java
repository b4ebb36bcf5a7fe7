package io.tidelog.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.StreamingClient;
import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.NodeStatus;
import io.tidelog.proto.PchannelStatus;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class ClientCommandsTest {
    final FakeCluster cluster = FakeCluster.start("node-a");
    Function<String, StreamingClient.Builder> connector = server -> cluster.clientBuilder().target(server);
    StopRequest stop = new StopRequest();

    @AfterEach
    void close() {
        cluster.close();
    }

    /** The smallest root a server module would write: it only registers the client commands. */
    @Command(name = "tidelog", mixinStandardHelpOptions = true)
    static final class Root implements Runnable {
        @Override
        public void run() {
        }
    }

    record Run(int status, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
        }
    }

    Run run(String stdin, String... args) {
        return run(new ByteArrayInputStream(stdin.getBytes(UTF_8)), args);
    }

    /** Runs a client command as the {@code tidelog} binary does ({@link Launcher#configure}), with {@code --server}. */
    Run run(InputStream stdin, String... args) {
        return run(stdin, new StringWriter(), args);
    }

    /** {@link #run(InputStream, String...)} printing into {@code out}, which the test may watch meanwhile. */
    Run run(InputStream stdin, StringWriter out, String... args) {
        CommandLine root = new CommandLine(new Root());
        ClientCommands.all(connector, stdin, stop).forEach(root::addSubcommand);
        Launcher.configure(root);
        StringWriter err = new StringWriter();
        root.setOut(new PrintWriter(out));
        root.setErr(new PrintWriter(err));
        String[] withServer = Arrays.copyOf(args, args.length + 2);
        withServer[args.length] = "--server";
        withServer[args.length + 1] = cluster.target();
        int status = root.execute(withServer);
        return new Run(status, out.toString(), err.toString());
    }

    ImmutableMessageProto write(String vchannel, byte[] payload, Map<String, String> properties) {
        return cluster.log("p-1").append(MutableMessage.builder(MessageType.RAW, vchannel).payload(payload)
                .properties(properties).build().envelope(), 1);
    }

    List<ImmutableMessageProto> stored(String vchannel) {
        return cluster.log("p-1").messages().stream().filter(m -> m.getMessage().getVchannel().equals(vchannel)).toList();
    }

    static String id(ImmutableMessageProto m) {
        return m.getId().getMajor() + ":" + m.getId().getMinor();
    }

    @Test
    void produceSendsOneMessagePerLineOfStandardInputAndPrintsJsonAcknowledgementsInOrder() {
        cluster.assign("p-1", 1, "node-a");
        Run r = run("hello\nwörld\n\nlast", "produce", "--vchannel", "p-1_v", "--json");

        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        List<ImmutableMessageProto> stored = stored("p-1_v");
        assertThat(stored).extracting(m -> m.getMessage().getPayload().toStringUtf8())
                .containsExactly("hello", "wörld", "", "last");
        assertThat(r.lines()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(r.lines().get(i)).isEqualTo("{\"vchannel\":\"p-1_v\",\"messageId\":\"" + id(stored.get(i))
                    + "\",\"timeTick\":" + stored.get(i).getMessage().getTimeTick() + "}");
        }
    }

    @Test
    void produceGeneratesCountMessagesOfTheGivenSizeAndPrintsTextAcknowledgements() {
        cluster.assign("p-1", 1, "node-a");
        Run r = run("", "produce", "--vchannel", "p-1_v", "--count", "5", "--size", "100");

        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        List<ImmutableMessageProto> stored = stored("p-1_v");
        assertThat(stored).hasSize(5).allSatisfy(m -> assertThat(m.getMessage().getPayload().size()).isEqualTo(100));
        assertThat(stored.get(3).getMessage().getPayload().toStringUtf8()).startsWith("3 abcdef");
        assertThat(r.lines()).hasSize(5);
        assertThat(r.lines().get(0)).isEqualTo("p-1_v " + id(stored.get(0)) + " tt=" + stored.get(0).getMessage().getTimeTick());
    }

    @Test
    void produceOfManyMessagesKeepsTheInputOrder() {
        cluster.assign("p-1", 1, "node-a");
        Run r = run("", "produce", "--vchannel", "p-1_v", "--count", "3000", "--size", "10", "--json");
        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        List<ImmutableMessageProto> stored = stored("p-1_v");
        assertThat(stored).hasSize(3000);
        assertThat(r.lines()).hasSize(3000);
        for (int i = 0; i < 3000; i++) {
            assertThat(stored.get(i).getMessage().getPayload().toStringUtf8()).startsWith(i + " ");
            assertThat(r.lines().get(i)).contains("\"messageId\":\"" + id(stored.get(i)) + "\"");
        }
    }

    @Test
    void produceSendsManyMessagesBeforeTheFirstAcknowledgement() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        cluster.node("node-a").holdResults(true);
        CompletableFuture<Run> running = CompletableFuture.supplyAsync(
                () -> run("", "produce", "--vchannel", "p-1_v", "--count", "50", "--size", "8"));
        Await.until("all fifty are in flight at once", () -> cluster.node("node-a").heldCount() == 50);
        cluster.node("node-a").releaseHeld(IntStream.range(0, 50).boxed().toList());

        Run r = running.get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.lines()).hasSize(50);
    }

    @Test
    void consumePrintsJsonWithTextPayloadsAsTextAndOthersAsBase64() {
        cluster.assign("p-1", 1, "node-a");
        ImmutableMessageProto text = write("p-1_v", "hi \"there\"\n".getBytes(UTF_8), Map.of("k", "v"));
        write("p-1_other", "not mine".getBytes(UTF_8), Map.of());
        ImmutableMessageProto binary = write("p-1_v", new byte[] {(byte) 0xff, (byte) 0xfe, 0}, Map.of());

        Run r = run("", "consume", "--vchannel", "p-1_v", "--max", "2", "--json");

        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.lines()).containsExactly(
                "{\"vchannel\":\"p-1_v\",\"messageId\":\"" + id(text) + "\",\"timeTick\":" + text.getMessage().getTimeTick()
                        + ",\"type\":\"RAW\",\"payload\":\"hi \\\"there\\\"\\n\",\"properties\":{\"k\":\"v\"}}",
                "{\"vchannel\":\"p-1_v\",\"messageId\":\"" + id(binary) + "\",\"timeTick\":" + binary.getMessage().getTimeTick()
                        + ",\"type\":\"RAW\",\"payload\":\"//4A\",\"encoding\":\"base64\",\"properties\":{}}");
    }

    @Test
    void consumePrintsOneReadableLinePerMessage() {
        cluster.assign("p-1", 1, "node-a");
        ImmutableMessageProto m = write("p-1_v", "line one\tand more".getBytes(UTF_8), Map.of("k", "v"));
        Run r = run("", "consume", "--vchannel", "p-1_v", "--max", "1");

        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.lines()).singleElement().asString()
                .startsWith("p-1_v " + id(m) + " tt=" + m.getMessage().getTimeTick() + " ")
                .contains("Z RAW {k=v} line one\\tand more");
    }

    @Test
    void consumeStartsWhereFromSays() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_v", "a".getBytes(UTF_8), Map.of());
        ImmutableMessageProto b = write("p-1_v", "b".getBytes(UTF_8), Map.of());
        Run r = run("", "consume", "--vchannel", "p-1_v", "--from", id(b), "--max", "1", "--json");
        assertThat(r.lines()).singleElement().asString().contains("\"payload\":\"b\"");
    }

    @Test
    void consumeExitsAfterTheIdleTimeout() {
        cluster.assign("p-1", 1, "node-a");
        Run r = run("", "consume", "--vchannel", "p-1_v", "--idle-timeout", "0.2");
        assertThat(r.status()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anOversizeMessageFailsWithInvalidArgumentAndStatusOne() {
        connector = server -> cluster.clientBuilder().target(server).messageLimits(new MessageLimits(1024));
        cluster.assign("p-1", 1, "node-a");
        Run r = run("", "produce", "--vchannel", "p-1_v", "--count", "1", "--size", "2000");

        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: --size 2000 exceeds the largest message, 1024 bytes");
        assertThat(stored("p-1_v")).isEmpty();
    }

    @Test
    void aMalformedVchannelIsAWrongCommandLine() {
        Run r = run("x\n", "produce", "--vchannel", "no-separator");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("error: Invalid value for option '--vchannel': vchannel name must look like "
                + "<pchannel>_<suffix>, 'no-separator' has no '_' (see 'tidelog produce --help')" + System.lineSeparator());
    }

    @Test
    void aPchannelNoNodeServesTimesOutWithStatusThree() {
        Run r = run("x\n", "produce", "--vchannel", "p-9_v", "--timeout", "0.2");
        assertThat(r.status()).isEqualTo(ExitCodes.RETRIABLE);
        assertThat(r.err()).startsWith("error: TIMEOUT: ").contains("no assignment");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void usageErrorsExitWithStatusTwo() {
        assertThat(run("", "consume", "--vchannel", "p-1_v", "--from", "yesterday").status()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("", "produce", "--vchannel", "p-1_v", "--size", "10").status()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("", "produce", "--vchannel", "p-1_v", "--count", "-1").status()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("", "produce").status()).isEqualTo(ExitCodes.USAGE);
        Run bad = run("", "consume", "--vchannel", "p-1_v", "--from", "yesterday");
        assertThat(bad.err()).contains("earliest, latest, MAJOR:MINOR");
    }

    @Test
    void helpListsTheExitStatuses() {
        Run r = run("", "produce", "--help");
        assertThat(r.status()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).contains("Exit status:").contains("3   failed for a reason that may pass")
                .contains("--server=HOST:PORT").contains("localhost:19530");
    }

    @Test
    void statusPrintsATableAndJson() {
        long tt = (1_700_000_000_123L << 18) | 5;
        cluster.coordinator().setStatus(io.tidelog.proto.ClusterStatus.newBuilder()
                .addPchannels(PchannelStatus.newBuilder().setPchannel("p-0").setNodeId("node-a").setTerm(3)
                        .setAvailable(true).setLastTimeTick(tt).setLastId(MessageIdProto.newBuilder().setMinor(9))
                        .setInFlight(4).setAppended(5).setBufferBytes(6)
                        .setEarliestId(MessageIdProto.newBuilder().setMinor(2)).setEarliestTimeTick(tt - 3)
                        .setTruncatedBelow(MessageIdProto.newBuilder().setMinor(2)).setTruncationBound("subscription s of p-0_v")
                        .setSubscriptions(1).setCheckpointId(MessageIdProto.newBuilder().setMinor(8)).setState("ASSIGNED"))
                .addPchannels(PchannelStatus.newBuilder().setPchannel("p-1").setState("UNASSIGNED")
                        .setUnavailableReason("RESOURCE_EXHAUSTED: the disk /d (tmpfs) is full"))
                .addNodes(NodeStatus.newBuilder().setNodeId("node-a").setAddress("h:1").setAlive(true))
                .addCoordinators(io.tidelog.proto.CoordinatorStatus.newBuilder().setCoordinatorId("coord-1")
                        .setAddress("h:2").setLeader(true))
                .addReplicas(io.tidelog.proto.VchannelReplica.newBuilder().setVchannel("p-0_7v0").setCollectionId(7)
                        .setNodeId("node-b").setAddress("h:3"))
                .build());

        Run table = run("", "status");
        assertThat(table.status()).as(table.err()).isEqualTo(ExitCodes.OK);
        assertThat(table.lines().get(0)).startsWith("PCHANNEL  NODE    TERM  STATE       AVAILABLE  LAST TIME TICK");
        assertThat(table.lines().get(1)).startsWith("p-0       node-a  3     ASSIGNED    yes        " + tt)
                .contains("2023-11-14T22:13:20.123Z").endsWith("0:2       2023-11-14T22:13:20.123Z  1");
        assertThat(table.lines().get(2)).startsWith("p-1       -       0     UNASSIGNED  no         -");
        assertThat(table.out()).contains("NODE    ADDRESS  ALIVE").contains("node-a  h:1      yes")
                .contains("COORDINATOR  ADDRESS  LEADER").contains("coord-1      h:2      yes")
                .contains("REPLICA OF  COLLECTION  NODE    ADDRESS").contains("p-0_7v0     7           node-b  h:3");
        assertThat(table.lines()).endsWith("p-1 is unavailable: RESOURCE_EXHAUSTED: the disk /d (tmpfs) is full")
                .filteredOn(l -> l.contains("is unavailable")).hasSize(1);

        Run json = run("", "status", "--json");
        assertThat(json.lines()).singleElement().asString().isEqualTo("{\"pchannels\":["
                + "{\"pchannel\":\"p-0\",\"nodeId\":\"node-a\",\"term\":3,\"state\":\"ASSIGNED\",\"available\":true,\"lastTimeTick\":" + tt
                + ",\"lastTime\":\"2023-11-14T22:13:20.123Z\",\"lastMessageId\":\"0:9\",\"inFlight\":4,\"bufferBytes\":6,"
                + "\"appended\":5,\"retainedBytes\":0,\"unavailableReason\":null,\"earliestMessageId\":\"0:2\",\"earliestTimeTick\":" + (tt - 3)
                + ",\"earliestTime\":\"2023-11-14T22:13:20.123Z\",\"truncatedBelow\":\"0:2\","
                + "\"truncationBound\":\"subscription s of p-0_v\",\"subscriptions\":1,\"subscriptionsLetGo\":0,"
                + "\"checkpointMessageId\":\"0:8\"},"
                + "{\"pchannel\":\"p-1\",\"nodeId\":\"\",\"term\":0,\"state\":\"UNASSIGNED\",\"available\":false,\"lastTimeTick\":0,\"lastTime\":null,"
                + "\"lastMessageId\":null,\"inFlight\":0,\"bufferBytes\":0,\"appended\":0,\"retainedBytes\":0,"
                + "\"unavailableReason\":\"RESOURCE_EXHAUSTED: the disk /d (tmpfs) is full\","
                + "\"earliestMessageId\":null,\"earliestTimeTick\":0,\"earliestTime\":null,\"truncatedBelow\":null,"
                + "\"truncationBound\":null,\"subscriptions\":0,\"subscriptionsLetGo\":0,\"checkpointMessageId\":null}],"
                + "\"nodes\":[{\"nodeId\":\"node-a\",\"address\":\"h:1\",\"alive\":true,\"draining\":false}],"
                + "\"coordinators\":[{\"coordinatorId\":\"coord-1\",\"address\":\"h:2\",\"leader\":true}],"
                + "\"replicas\":[{\"vchannel\":\"p-0_7v0\",\"collectionId\":7,\"nodeId\":\"node-b\",\"address\":\"h:3\"}]}");
    }

    @Test
    void statusOfAnUnreachableServerFailsWithStatusThree() {
        connector = server -> cluster.clientBuilder().target("nobody-" + server);
        Run r = run("", "status");
        assertThat(r.status()).isEqualTo(ExitCodes.RETRIABLE);
        assertThat(r.err()).startsWith("error: ON_SHUTDOWN: ");
    }

    @Test
    void produceSendsEachLinesBytesExactlyAndConsumeJsonShowsThemBackAsTextOrBase64() {
        cluster.assign("p-1", 1, "node-a");
        byte[] input = {'a', '\r', '\n', 'b', (byte) 0xff, (byte) 0xfe, 0, '\n', 'l', 'a', 's', 't'};
        Run r = run(new ByteArrayInputStream(input), "produce", "--vchannel", "p-1_v");

        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(stored("p-1_v")).extracting(m -> m.getMessage().getPayload().toByteArray()).containsExactly(
                new byte[] {'a', '\r'}, new byte[] {'b', (byte) 0xff, (byte) 0xfe, 0}, "last".getBytes(UTF_8));
        Run json = run("", "consume", "--vchannel", "p-1_v", "--max", "3", "--json");
        assertThat(json.lines().get(0)).contains("\"payload\":\"a\\r\",\"properties\"");
        assertThat(json.lines().get(1)).contains("\"payload\":\"Yv/+AA==\",\"encoding\":\"base64\"");
    }

    @Test
    void binaryInputIsOneMessageAndBase64InputIsDecodedLineByLine() {
        cluster.assign("p-1", 1, "node-a");
        byte[] blob = {'x', '\n', '\r', (byte) 0x80, '\n'};
        assertThat(run(new ByteArrayInputStream(blob), "produce", "--vchannel", "p-1_bin", "--input", "binary").status())
                .isEqualTo(ExitCodes.OK);
        assertThat(run("/w==\r\n\naGk=\n", "produce", "--vchannel", "p-1_b64", "--input", "base64").status())
                .isEqualTo(ExitCodes.OK);

        assertThat(stored("p-1_bin")).singleElement().satisfies(m ->
                assertThat(m.getMessage().getPayload().toByteArray()).isEqualTo(blob));
        assertThat(stored("p-1_b64")).extracting(m -> m.getMessage().getPayload().toByteArray())
                .containsExactly(new byte[] {(byte) 0xff}, new byte[0], "hi".getBytes(UTF_8));
    }

    @Test
    void aLineThatIsNotBase64FailsWithStatusOneAfterTheLinesBeforeItAndSendsNothingFromIt() {
        cluster.assign("p-1", 1, "node-a");
        Run r = run("aGk=\nYWdhaW4=\n*bad*\nbGF0ZXI=\n", "produce", "--vchannel", "p-1_v", "--input", "base64");

        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.lines()).hasSize(2);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: line 3 of standard input is not base64");
        assertThat(stored("p-1_v")).extracting(m -> m.getMessage().getPayload().toStringUtf8()).containsExactly("hi", "again");
    }

    @Test
    void aPchannelTheClusterDoesNotHaveIsNotFoundWithStatusOneForProduceAndConsume() {
        cluster.coordinator().declarePchannels("p-0", "p-1");
        cluster.assign("p-1", 1, "node-a");

        Run produce = run("x\n", "produce", "--vchannel", "p-7_v", "--timeout", "600");
        Run consume = run("", "consume", "--vchannel", "p-7_v", "--timeout", "600");

        for (Run r : List.of(produce, consume)) {
            assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.FAILED);
            assertThat(r.err()).isEqualTo("error: NOT_FOUND: pchannel p-7 does not exist: the cluster at " + cluster.target()
                    + " has 2 pchannels, p-0 to p-1" + System.lineSeparator());
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void consumeOfAnUnreachableServerFailsWithStatusThreeOnceItsTimeoutRanOutWhateverItsIdleTimeout() {
        connector = server -> cluster.clientBuilder().target("nobody-" + server);
        Run r = run("", "consume", "--vchannel", "p-1_v", "--idle-timeout", "0.1", "--timeout", "0.5");

        assertThat(r.status()).isEqualTo(ExitCodes.RETRIABLE);
        assertThat(r.err()).startsWith("error: TIMEOUT: could not read p-1_v for 0.5 s (--timeout): pchannel p-1 has no "
                + "assignment; the assignment watch on the coordinator at nobody-" + cluster.target() + " failed: ON_SHUTDOWN");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void consumeOfAPchannelNoNodeServesFailsWithStatusThreeInsteadOfLookingIdle() {
        cluster.coordinator().declarePchannels("p-0", "p-1");
        Run r = run("", "consume", "--vchannel", "p-1_v", "--idle-timeout", "0.1", "--timeout", "0.5");
        assertThat(r.status()).isEqualTo(ExitCodes.RETRIABLE);
        assertThat(r.err()).contains("pchannel p-1 has no assignment");
    }

    @Test
    void aStopRequestEndsProduceCleanlyWithStatusZeroWhileItWaitsForInput() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(typing);
        CompletableFuture<Run> running = CompletableFuture.supplyAsync(() -> run(stdin, "produce", "--vchannel", "p-1_v"));
        typing.write("a\nb\n".getBytes(UTF_8));
        typing.flush();
        Await.until("both lines are in the log", () -> stored("p-1_v").size() == 2);

        stop.request();

        Run r = running.get(10, TimeUnit.SECONDS);
        typing.close();
        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.lines()).hasSize(2);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aStopRequestEndsConsumeCleanlyWithStatusZero() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_v", "first".getBytes(UTF_8), Map.of());
        StringWriter printed = new StringWriter();
        CompletableFuture<Run> running = CompletableFuture.supplyAsync(() -> run(new ByteArrayInputStream(new byte[0]),
                printed, "consume", "--vchannel", "p-1_v"));
        Await.until("the consumer printed the message", () -> printed.toString().contains(" RAW first"));

        stop.request();

        Run r = running.get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.lines()).singleElement().asString().endsWith(" RAW first");
    }

    @Test
    void everyMalformedOptionValueOfEveryClientCommandIsOneLineNamingTheOptionAndStatusTwo() throws Exception {
        java.nio.file.Path schema = java.nio.file.Files.createTempFile("schema", ".json");
        try {
            List<List<String>> cases = List.of(
                    List.of("--server", "status", "--server", "::bad"),
                    List.of("--server", "status", "--server", "host:notaport"),
                    List.of("--server", "consume", "--vchannel", "p-1_v", "--server", "host:99999"),
                    List.of("--vchannel", "produce", "--vchannel", "p-1 v"),
                    List.of("--vchannel", "consume", "--vchannel", "nounderscore"),
                    List.of("--input", "produce", "--vchannel", "p-1_v", "--input", "text"),
                    List.of("--timeout", "produce", "--vchannel", "p-1_v", "--timeout", "NaN"),
                    List.of("--timeout", "produce", "--vchannel", "p-1_v", "--timeout", "1e30"),
                    List.of("--count", "produce", "--vchannel", "p-1_v", "--count", "many"),
                    List.of("--size", "produce", "--vchannel", "p-1_v", "--count", "1", "--size", "-1"),
                    List.of("--from", "consume", "--vchannel", "p-1_v", "--from", "yesterday"),
                    List.of("--max", "consume", "--vchannel", "p-1_v", "--max", "-1"),
                    List.of("--idle-timeout", "consume", "--vchannel", "p-1_v", "--idle-timeout", "0"),
                    List.of("--timeout", "consume", "--vchannel", "p-1_v", "--timeout", "-3"),
                    List.of("--schema", "collection", "create", "--name", "c", "--schema", schema + ".missing"),
                    List.of("--shards", "collection", "create", "--name", "c", "--schema", schema.toString(), "--shards", "two"),
                    List.of("--add-field", "collection", "alter", "c", "--add-field", "{\"name\": "),
                    List.of("--file", "insert", "--collection", "c", "--file", schema + ".missing"),
                    List.of("--batch-rows", "insert", "--collection", "c", "--file", schema.toString(), "--batch-rows", "x"));
            for (List<String> c : cases) {
                Run r = run("", c.subList(1, c.size()).toArray(String[]::new));
                assertThat(r.status()).as("%s: %s", c, r.err()).isEqualTo(ExitCodes.USAGE);
                assertThat(r.err().lines()).as("%s", c).singleElement().asString()
                        .startsWith("error: ").contains(c.get(0)).doesNotContain("Exception");
                assertThat(r.out()).as("%s", c).isEmpty();
            }
        } finally {
            java.nio.file.Files.delete(schema);
        }
    }
}
