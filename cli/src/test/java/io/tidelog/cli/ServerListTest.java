package io.tidelog.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.testing.FakeCoordinators;
import io.tidelog.proto.NodeStatus;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.TypeConversionException;

/** {@code --server} takes one or more coordinators, and a command follows the leader among them. */
class ServerListTest {
    final FakeCoordinators coordinators = FakeCoordinators.start(2);

    @AfterEach
    void close() {
        coordinators.close();
    }

    @Command(name = "tidelog", mixinStandardHelpOptions = true)
    static final class Root implements Runnable {
        @Override
        public void run() {
        }
    }

    record Run(int status, String out, String err) {
    }

    /**
     * Runs a client command as the {@code tidelog} binary does, over in-process channels, with a status deadline of
     * 1 s; {@code args} name the server.
     */
    static Run run(String... args) {
        CommandLine root = new CommandLine(new Root());
        ClientCommands.all(server -> StreamingClient.builder().target(server)
                        .channelBuilders(InProcessChannelBuilder::forName).appendTimeout(Duration.ofSeconds(1))
                        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200)),
                new ByteArrayInputStream("".getBytes(UTF_8))).forEach(root::addSubcommand);
        Launcher.configure(root);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        root.setOut(new PrintWriter(out));
        root.setErr(new PrintWriter(err));
        int status = root.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void aListOfAddressesIsCheckedElementByElementAndNormalised() {
        Flags.Server server = new Flags.Server();
        assertThat(server.convert("localhost:19530")).isEqualTo("localhost:19530");
        assertThat(server.convert("h1:1,[::1]:2,10.0.0.3:3")).isEqualTo("h1:1,[::1]:2,10.0.0.3:3");
        assertThat(server.convert("h1:1, h2:2")).isEqualTo("h1:1,h2:2");
    }

    @Test
    void anEmptyOrMalformedElementIsAUsageErrorNamingIt() {
        Flags.Server server = new Flags.Server();
        assertThatThrownBy(() -> server.convert("h1:1,,h2:2")).isInstanceOf(TypeConversionException.class)
                .hasMessage("address 2 of 3 in 'h1:1,,h2:2' is empty: give HOST:PORT[,HOST:PORT...]");
        assertThatThrownBy(() -> server.convert("h1:1,")).hasMessageContaining("address 2 of 2");
        assertThatThrownBy(() -> server.convert(",h1:1")).hasMessageContaining("address 1 of 2");
        assertThatThrownBy(() -> server.convert("")).hasMessageContaining("no address given");
        assertThatThrownBy(() -> server.convert("h1:1,::1:2")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> server.convert("h1:1,h2:99999")).hasMessageContaining("h2:99999");

        for (String bad : List.of("h1:1,", "h1:1,,h2:2", "h1:1,h2", "h1:1,::1:2")) {
            for (String command : List.of("status", "collection list", "flush --collection c")) {
                List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
                args.addAll(List.of("--server", bad));
                Run r = run(args.toArray(String[]::new));
                assertThat(r.status()).as("%s %s: %s", command, bad, r.err()).isEqualTo(ExitCodes.USAGE);
                assertThat(r.err().lines()).as("%s %s", command, bad).singleElement().asString()
                        .startsWith("error: ").contains("--server").doesNotContain("Exception");
                assertThat(r.out()).isEmpty();
            }
        }
    }

    @Test
    void commandsGivenAStandbyAndTheLeaderGetTheirAnswerFromTheLeader() {
        coordinators.lead(1, false);
        coordinators.coordinator(1).setStatus(io.tidelog.proto.ClusterStatus.newBuilder()
                .addNodes(NodeStatus.newBuilder().setNodeId("node-of-the-leader").setAddress("h:1").setAlive(true))
                .build());
        String servers = coordinators.address(0) + "," + coordinators.address(1);

        Run list = run("collection", "list", "--json", "--server", servers);
        assertThat(list.status()).as(list.err()).isEqualTo(ExitCodes.OK);
        Run status = run("status", "--server", servers);
        assertThat(status.status()).as(status.err()).isEqualTo(ExitCodes.OK);
        assertThat(status.out()).contains("node-of-the-leader");

        assertThat(coordinators.refused(0)).as("each command's client began with the standby").isGreaterThanOrEqualTo(2);
        assertThat(coordinators.refused(1)).isZero();
    }

    @Test
    void commandsGivenOnlyStandbysFailWithNotLeaderAndTheRetryStatus() {
        Run r = run("status", "--server", coordinators.targets());
        assertThat(r.status()).as(r.err()).isEqualTo(ExitCodes.RETRIABLE);
        assertThat(r.err()).startsWith("error: NOT_LEADER: no leader among the coordinators " + coordinators.targets());
    }
}
