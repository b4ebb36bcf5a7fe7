package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The configuration of a server process from its three sources, each over the one before: a file
 * ({@code --config-file}: YAML whose nested keys join with dots to the dotted keys, as {@code milvus.yaml}; or a
 * properties file), the environment ({@code TIDELOG_} and the key in upper case with {@code _} for {@code .}:
 * {@code TIDELOG_WAL_LOCAL_SEGMENT_BYTES=64MiB} sets {@code wal.local.segment.bytes}), then flags ({@code -c KEY=VALUE}
 * and the options that set a key, such as {@code --port}). Each value remembers where it came from, for
 * {@code tidelog config show} and for start-up errors.
 *
 * <p>A few {@code TIDELOG_} variables are not keys ({@link #NOT_KEYS}: the launcher's JVM options, the S3 endpoint,
 * a client's token and CA); every other one is a key, and a key the process does not know is refused at start-up
 * like one from a file or a flag. Immutable.
 */
final class ConfigSources {
    static final String ENV_PREFIX = "TIDELOG_";
    /** {@code TIDELOG_} variables that are read elsewhere, not configuration keys. */
    static final Set<String> NOT_KEYS = Set.of("TIDELOG_JAVA_OPTS", "TIDELOG_S3_ENDPOINT", "TIDELOG_TOKEN",
            "TIDELOG_TLS_CA", "TIDELOG_SERVER");

    /** A key's value and where it came from ({@code file F}, {@code environment TIDELOG_X}, {@code flag -c}, ...). */
    record Value(String value, String source) {
    }

    private final Map<String, Value> values;

    private ConfigSources(Map<String, Value> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * @param file  the configuration file, or null
     * @param env   the process's environment
     * @param flags the keys the command line sets, each with the flag that set it (e.g. {@code --port}; {@code -c}
     *              for a key given as {@code -c KEY=VALUE})
     * @throws StreamingException {@code INVALID_ARGUMENT} for a file that cannot be read or parsed, naming it
     */
    static ConfigSources load(Path file, Map<String, String> env, Map<String, Value> flags) {
        Map<String, Value> out = new LinkedHashMap<>();
        if (file != null) {
            String source = "file " + file;
            readFile(file).forEach((k, v) -> out.put(k, new Value(v, source)));
        }
        new TreeMap<>(env).forEach((name, v) -> {
            if (name.startsWith(ENV_PREFIX) && !NOT_KEYS.contains(name) && name.length() > ENV_PREFIX.length()) {
                out.put(keyOf(name), new Value(v, "environment " + name));
            }
        });
        out.putAll(flags);
        return new ConfigSources(out);
    }

    /** {@code TIDELOG_WAL_LOCAL_SEGMENT_BYTES} -> {@code wal.local.segment.bytes}. */
    static String keyOf(String envName) {
        return envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** {@code wal.local.segment.bytes} -> {@code TIDELOG_WAL_LOCAL_SEGMENT_BYTES}. */
    static String envNameOf(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The effective keys and values. */
    Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        values.forEach((k, v) -> p.put(k, v.value()));
        return p;
    }

    /** Every key set, with its source. */
    Map<String, Value> values() {
        return values;
    }

    /**
     * A start-up error's message with where the keys it names came from, when not from a flag (a key in an
     * environment variable or a file is otherwise hard to find).
     */
    String explain(String message) {
        StringBuilder b = new StringBuilder(message);
        new TreeMap<>(values).forEach((k, v) -> {
            if (!v.source().startsWith("flag") && message.contains(k)) {
                b.append(System.lineSeparator()).append("  ").append(k).append(" is set by ").append(v.source());
            }
        });
        return b.toString();
    }

    private static Map<String, String> readFile(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (InputStream in = Files.newInputStream(file)) {
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                return yaml(in, file);
            }
            Properties p = new Properties();
            p.load(in);
            Map<String, String> out = new TreeMap<>();
            p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
            return out;
        } catch (IOException e) {
            throw StreamingException.invalidArgument("--config-file " + file + " cannot be read"
                    + (e instanceof java.nio.file.NoSuchFileException ? ": there is no such file" : ": " + e.getMessage()));
        }
    }

    private static Map<String, String> yaml(InputStream in, Path file) throws IOException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(4 << 20);
        Object root;
        try (Reader r = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(options)).load(r);
        } catch (YAMLException e) {
            throw StreamingException.invalidArgument("--config-file " + file + " is not valid YAML: "
                    + e.getMessage().replace(System.lineSeparator(), " "));
        }
        Map<String, String> out = new TreeMap<>();
        if (root == null) {
            return out;
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw StreamingException.invalidArgument("--config-file " + file
                    + " must hold a mapping of keys (like wal: {backend: local}), not " + kind(root));
        }
        flatten("", map, out, file);
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out, Path file) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, out, file);
                continue;
            }
            String text;
            if (v instanceof List<?> list) {
                StringBuilder b = new StringBuilder();
                for (Object item : list) {
                    if (item instanceof Map<?, ?> || item instanceof List<?>) {
                        throw StreamingException.invalidArgument("configuration key '" + key + "' in " + file
                                + ": a list may hold only plain values");
                    }
                    b.append(b.length() == 0 ? "" : ",").append(item);
                }
                text = b.toString();
            } else if (v == null) {
                throw StreamingException.invalidArgument("configuration key '" + key + "' in " + file
                        + " has no value (remove it for the default)");
            } else {
                text = v.toString();
            }
            if (out.put(key, text) != null) {
                throw StreamingException.invalidArgument("configuration key '" + key + "' is given twice in " + file);
            }
        }
    }

    private static String kind(Object o) {
        return o instanceof List<?> ? "a list" : "a single value";
    }
}
