package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tidelog config show}: every key with its value and source, checked as a start would check it. */
class ConfigCommandTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    Run show(Map<String, String> env, String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        ConfigCommand.Show show = cl.getSubcommands().get("config").getSubcommands().get("show").getCommand();
        show.config.environment = env;
        String[] all = new String[args.length + 2];
        all[0] = "config";
        all[1] = "show";
        System.arraycopy(args, 0, all, 2, args.length);
        int status = cl.execute(all);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void everyKeyOfAStandaloneIsListedWithItsValueAndWhereItCameFrom() throws Exception {
        Path yaml = dir.resolve("tidelog.yaml");
        Files.writeString(yaml, "query:\n  threads: 3\n  max.rows: 100\nshard.segment.max.bytes: 64MiB\n");
        Run r = show(Map.of("TIDELOG_QUERY_MAX_ROWS", "200"), "--config-file", yaml.toString(), "-c", "query.max.topk=5",
                "--data-dir", dir.resolve("d").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines()).first().asString().matches("KEY +VALUE +SOURCE");
        assertThat(r.out().lines()).anyMatch(l -> l.matches("query\\.threads +3 +file .*tidelog\\.yaml"))
                .anyMatch(l -> l.matches("query\\.max\\.rows +200 +environment TIDELOG_QUERY_MAX_ROWS"))
                .anyMatch(l -> l.matches("query\\.max\\.topk +5 +flag -c"))
                .anyMatch(l -> l.matches("shard\\.segment\\.max\\.bytes +64MiB +file .*"))
                .anyMatch(l -> l.matches("query\\.bounded\\.staleness +5s +default"))
                .anyMatch(l -> l.matches("wal\\.local\\.segment\\.bytes +16MiB +default"))
                .anyMatch(l -> l.matches("server\\.port +19530 +default"));
        assertThat(dir.resolve("d")).as("nothing was started").doesNotExist();

        Run json = show(Map.of(), "--json", "-c", "query.threads=4");
        assertThat(json.out().lines()).contains("{\"key\":\"query.threads\",\"value\":\"4\",\"source\":\"flag -c\"}")
                .allMatch(l -> l.startsWith("{\"key\":"));
    }

    @Test
    void theHttpKeysOfEachRoleAreListedWithTheRolesDefaultPort() {
        Run coord = show(Map.of(), "--role", "coord");
        assertThat(coord.status()).as(coord.err()).isZero();
        assertThat(coord.out().lines()).anyMatch(l -> l.matches("http\\.port +9092 +default"))
                .anyMatch(l -> l.matches("http\\.host +127\\.0\\.0\\.1 +default"))
                .anyMatch(l -> l.matches("http\\.threads +2 +default"));
        Run node = show(Map.of("TIDELOG_HTTP_PORT", "9200"), "--role", "node");
        assertThat(node.status()).as(node.err()).isZero();
        assertThat(node.out().lines()).anyMatch(l -> l.matches("http\\.port +9200 +environment TIDELOG_HTTP_PORT"))
                .anyMatch(l -> l.matches("http\\.threads +2 +default"));
        assertThat(show(Map.of(), "--role", "node").out().lines()).anyMatch(l -> l.matches("http\\.port +9093 +default"));
        assertThat(show(Map.of(), "--role", "standalone", "--data-dir", dir.resolve("d").toString()).out().lines())
                .anyMatch(l -> l.matches("http\\.port +9091 +default"));
        Run bad = show(Map.of(), "--role", "node", "-c", "http.port=70000");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("http.port");
    }

    @Test
    void anUnknownKeyOrABadValueIsRefusedWithStatusTwoNamingTheKeyAndWhereItWasSet() {
        Run unknown = show(Map.of("TIDELOG_QUERY_THREDS", "2"));
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("query.threds").contains("is set by environment TIDELOG_QUERY_THREDS");
        assertThat(unknown.out()).isEmpty();

        Run bad = show(Map.of(), "-c", "query.threads=many");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("query.threads").contains("many").contains("an integer");

        Run prefix = show(Map.of(), "-c", "nosuch.key=1");
        assertThat(prefix.status()).isEqualTo(2);
        assertThat(prefix.err()).contains("nosuch.key").contains("known prefixes");

        Run role = show(Map.of(), "--role", "coord", "-c", "query.threads=2");
        assertThat(role.status()).as("a coordinator has no query keys").isEqualTo(2);
    }

    @Test
    void securityKeysAreListedWithTheirDefaultsTheClusterTokenAndMetricsKeyHiddenAndAnUnknownOneRefused() throws Exception {
        String token = "cluster-token-0123456789";
        Run coord = show(Map.of("TIDELOG_SECURITY_CLUSTER_TOKEN", token), "--role", "coord");
        assertThat(coord.status()).as(coord.err()).isZero();
        assertThat(coord.out()).doesNotContain(token);
        assertThat(coord.out().lines())
                .anyMatch(l -> l.matches("security\\.cluster\\.token +\\(hidden\\) +environment .*"));
        Run standaloneWithIt = show(Map.of("TIDELOG_SECURITY_CLUSTER_TOKEN", token));
        assertThat(standaloneWithIt.status()).isEqualTo(2);
        assertThat(standaloneWithIt.err()).contains("security.cluster.token").doesNotContain(token);

        Run r = show(Map.of(), "--data-dir", dir.resolve("d").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines())
                .anyMatch(l -> l.matches("security\\.tokens\\.reload\\.interval +1s +default"))
                .anyMatch(l -> l.matches("security\\.tls\\.client\\.auth +none +default"))
                .anyMatch(l -> l.matches("server\\.host +127\\.0\\.0\\.1 +default"));

        assertThat(r.out().lines()).anyMatch(l -> l.matches("http\\.metrics\\.key +default"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + TokenFileTest.READ));
        String key = "metrics-key-0123456789";
        Run withKey = show(Map.of("TIDELOG_HTTP_METRICS_KEY", key), "-c", "security.tokens.file=" + tokens);
        assertThat(withKey.status()).as(withKey.err()).isZero();
        assertThat(withKey.out()).doesNotContain(key);
        assertThat(withKey.out().lines())
                .anyMatch(l -> l.matches("http\\.metrics\\.key +\\(hidden\\) +environment TIDELOG_HTTP_METRICS_KEY"));

        Run unknown = show(Map.of(), "-c", "security.token.file=x");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("security.token.file");
        Run missing = show(Map.of(), "-c", "security.tokens.file=" + dir.resolve("none"));
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("security.tokens.file").contains("no such readable file");
    }
}
