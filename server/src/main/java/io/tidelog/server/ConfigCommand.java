package io.tidelog.server;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import io.tidelog.wal.local.LocalWalConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tidelog config}: the configuration a server command would run with. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "The configuration of a server process: its file, TIDELOG_* environment variables and flags.",
        subcommands = ConfigCommand.Show.class)
public final class ConfigCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** {@code tidelog config show}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Prints the configuration a server would start with, every key with its value and where it "
                    + "came from: default, the file (--config-file), the environment (TIDELOG_<KEY>) or a flag (-c); "
                    + "later sources win. Checks it as a start would: unknown keys and bad values are refused. For a "
                    + "standalone, every key its components read is listed (the WAL backend's, object store's and "
                    + "meta store's keys when set, and the local WAL's); for coord and node, the keys set and the HTTP port's.",
                "--json prints one object per key: {\"key\",\"value\",\"source\"}.",
                "Exit status: 0, 2 for a wrong command line or bad configuration."})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** What is printed for the value of a secret key that is set. */
        static final String HIDDEN = "(hidden)";

        @Option(names = "--role", defaultValue = "standalone", paramLabel = "ROLE",
                description = "standalone, coord or node (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--data-dir", defaultValue = "data",
                description = "The standalone's data directory, for the defaults of its paths (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--json", description = "Print JSON, one object per line.")
        boolean json;

        @Mixin
        ServerRun.ConfigOptions config = new ServerRun.ConfigOptions();

        @Override
        public Integer call() {
            ConfigSources sources = null;
            Map<String, ConfigSources.Value> shown = new TreeMap<>();
            try {
                sources = config.sources(Map.of());
                Map<String, String> p = sources.properties();
                switch (role) {
                    // A key read that no source set has the component's default, or the standalone's (its paths).
                    case "standalone" -> Settings.observing((key, value, isDefault) ->
                            shown.putIfAbsent(key, new ConfigSources.Value(value, "default")), () -> readStandalone(p));
                    case "coord" -> Settings.observing((key, value, isDefault) ->
                            shown.putIfAbsent(key, new ConfigSources.Value(value, "default")),
                            () -> readMember(p, CoordServer.PREFIXES, "a coordinator", HttpConfig.COORD_PORT));
                    case "node" -> Settings.observing((key, value, isDefault) ->
                            shown.putIfAbsent(key, new ConfigSources.Value(value, "default")),
                            () -> readMember(p, NodeServer.PREFIXES, "a node", HttpConfig.NODE_PORT));
                    default -> throw StreamingException.invalidArgument("--role is standalone, coord or node, not '"
                            + role + "'");
                }
                shown.putAll(sources.values());
                for (String secret : new String[] {SecurityConfig.CLUSTER_TOKEN, HttpConfig.METRICS_KEY}) {
                    shown.computeIfPresent(secret, (k, v) -> v.value().isEmpty() ? v
                            : new ConfigSources.Value(HIDDEN, v.source())); // a secret: shown set, never printed
                }
            } catch (StreamingException e) {
                spec.commandLine().getErr().println("error: "
                        + (sources == null ? e.getMessage() : sources.explain(e.getMessage())));
                return 2;
            }
            print(shown);
            return 0;
        }

        /** Checks a cluster member's keys and reads its HTTP port's configuration (listed with its defaults). */
        private static Object readMember(Map<String, String> p, java.util.Set<String> prefixes, String what,
                                         int httpPort) {
            ConfigKeys.checkPrefixes(p, prefixes, what);
            return HttpConfig.from(ConfigKeys.only(p, HttpConfig.PREFIX), httpPort);
        }

        /** Reads every configuration of a standalone as its start would, without starting anything. */
        private Object readStandalone(Map<String, String> p) {
            StandaloneServer.Configs c = StandaloneServer.Configs.from(dataDir, p);
            if (c.walBackend().equals(StandaloneServer.LOCAL_WAL)) {
                LocalWalConfig.from(WalSettings.of(c.walBackend(), c.p(), c.node().limits(), c.coord().pchannelCount()));
            }
            return c;
        }

        private void print(Map<String, ConfigSources.Value> shown) {
            var out = spec.commandLine().getOut();
            if (json) {
                shown.forEach((k, v) -> {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("key", k);
                    j.put("value", v.value());
                    j.put("source", v.source());
                    out.println(Rows.toJson(j));
                });
            } else {
                int keyWidth = Math.max(3, shown.keySet().stream().mapToInt(String::length).max().orElse(0));
                int valueWidth = Math.max(5, Math.min(60, shown.values().stream().mapToInt(v -> v.value().length())
                        .max().orElse(0)));
                String format = "%-" + keyWidth + "s  %-" + valueWidth + "s  %s%n";
                out.printf(format, "KEY", "VALUE", "SOURCE");
                shown.forEach((k, v) -> out.printf(format, k, v.value(), v.source()));
            }
            out.flush();
        }
    }
}
