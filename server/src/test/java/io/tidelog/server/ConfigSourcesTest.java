package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server's configuration from a file, the environment and flags, each over the one before, with its sources. */
class ConfigSourcesTest {
    @TempDir
    Path dir;

    Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void nestedYamlKeysJoinWithDotsAndValuesOfEveryKindBecomeText() throws IOException {
        Path f = file("tidelog.yaml", """
                wal:
                  backend: local
                  local:
                    segment.bytes: 64MiB
                    spare.segments: 2
                query: {threads: 4, bounded.staleness: 2s}
                node.flag: true
                meta.etcd.endpoints: [a:2379, b:2379]
                """);
        ConfigSources s = ConfigSources.load(f, Map.of(), Map.of());
        assertThat(s.properties()).containsOnly(Map.entry("wal.backend", "local"),
                Map.entry("wal.local.segment.bytes", "64MiB"), Map.entry("wal.local.spare.segments", "2"),
                Map.entry("query.threads", "4"), Map.entry("query.bounded.staleness", "2s"),
                Map.entry("node.flag", "true"), Map.entry("meta.etcd.endpoints", "a:2379,b:2379"));
        assertThat(s.values().get("query.threads").source()).isEqualTo("file " + f);
    }

    @Test
    void theEnvironmentGoesOverTheFileAndFlagsOverBothAndOtherVariablesAreNotKeys() throws IOException {
        Path f = file("tidelog.properties", "query.threads=3\nquery.max.rows=10\nquery.max.topk=7\n");
        Map<String, String> env = Map.of("TIDELOG_QUERY_MAX_ROWS", "20", "TIDELOG_QUERY_MAX_TOPK", "8",
                "TIDELOG_S3_ENDPOINT", "http://s3", "TIDELOG_JAVA_OPTS", "-Xmx1g", "TIDELOG_TOKEN", "secret",
                "PATH", "/bin", "TIDELOG_", "x");
        ConfigSources s = ConfigSources.load(f, env, Map.of("query.max.topk",
                new ConfigSources.Value("9", "flag -c")));
        assertThat(s.properties()).containsOnly(Map.entry("query.threads", "3"), Map.entry("query.max.rows", "20"),
                Map.entry("query.max.topk", "9"));
        assertThat(s.values().get("query.max.rows").source()).isEqualTo("environment TIDELOG_QUERY_MAX_ROWS");
        assertThat(s.values().get("query.max.topk").source()).isEqualTo("flag -c");
        assertThat(ConfigSources.keyOf(ConfigSources.envNameOf("wal.local.segment.bytes")))
                .isEqualTo("wal.local.segment.bytes");
    }

    @Test
    void aStartUpErrorSaysWhereTheKeysItNamesCameFromUnlessAFlagSetThem() {
        ConfigSources s = ConfigSources.load(null, Map.of("TIDELOG_QUERY_THREDS", "2"),
                Map.of("query.max.rows", new ConfigSources.Value("x", "flag -c")));
        String explained = s.explain("unknown configuration keys: [query.threds]; query.max.rows is not an integer");
        assertThat(explained).contains("query.threds is set by environment TIDELOG_QUERY_THREDS")
                .doesNotContain("query.max.rows is set by");
    }

    @Test
    void aFileThatIsNotAMappingOfKeysOrNotYamlOrRepeatsAKeyIsRefusedNamingIt() throws IOException {
        for (String bad : new String[] {"- a\n- b\n", "wal: [\n", "wal:\n  backend: local\nwal.backend: kafka\n",
            "wal:\n  backend:\n", "query:\n  threads: 1\nquery:\n  threads: 2\n", "a: [{b: 1}]\n"}) {
            Path f = file("bad.yaml", bad);
            assertThatThrownBy(() -> ConfigSources.load(f, Map.of(), Map.of())).as(bad)
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining(f.toString());
        }
        assertThatThrownBy(() -> ConfigSources.load(dir.resolve("missing.yaml"), Map.of(), Map.of()))
                .hasMessageContaining("--config-file").hasMessageContaining("missing.yaml");
        assertThat(ConfigSources.load(file("empty.yaml", ""), Map.of(), Map.of()).properties()).isEmpty();
    }
}
