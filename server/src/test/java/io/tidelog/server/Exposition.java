package io.tidelog.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of a Prometheus text exposition, parsed: every sample and the declared type of every family. Public for the
 * process tests of {@code chaos}.
 */
public record Exposition(List<Sample> samples, Map<String, String> types) {
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** An HTTP answer: status and body. */
    public record Reply(int status, String body, String contentType) {
    }

    public static Reply get(String address, String path) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + address + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    public static Exposition scrape(String address) throws IOException, InterruptedException {
        Reply r = get(address, "/metrics");
        if (r.status() != 200) {
            throw new IllegalStateException("/metrics answered " + r.status() + ": " + r.body());
        }
        return parse(r.body());
    }

    /** {@link #scrape}, its failures unchecked: for conditions awaited. */
    public static Exposition scrapeUnchecked(String address) {
        try {
            return scrape(address);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@link #get}'s status, its failures unchecked: for conditions awaited. */
    public static int statusUnchecked(String address, String path) {
        try {
            return get(address, path).status();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Exposition parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[2], parts[3]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.matches()) {
                    throw new IllegalArgumentException("not a sample line: " + line);
                }
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(3) != null) {
                    Matcher l = LABEL.matcher(m.group(3));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
            }
        }
        return new Exposition(samples, types);
    }

    /** The value of the one sample named {@code name} whose labels include {@code labels}, if there is one. */
    public OptionalDouble value(String name, Map<String, String> labels) {
        List<Sample> found = samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
        if (found.size() > 1) {
            throw new IllegalArgumentException(found.size() + " samples of " + name + labels + ": " + found);
        }
        return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.get(0).value());
    }

    /** The {@code tidelog_} families exposed (by their {@code # TYPE} lines). */
    public Set<String> tidelogFamilies() {
        Set<String> out = new TreeSet<>();
        types.keySet().stream().filter(n -> n.startsWith("tidelog_")).forEach(out::add);
        return out;
    }

    /** The {@code tidelog_} families the README's metrics table names (its rows' first cells). */
    public static Set<String> readmeFamilies() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `(tidelog_[a-z0-9_]+)`", Pattern.MULTILINE).matcher(readme);
        while (m.find()) {
            documented.add(m.group(1));
        }
        return documented;
    }

    /** The sum of every sample named {@code name} whose labels include {@code labels} (0 if none). */
    public double sum(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }

    /** {@link #value}, or 0 when there is no such sample yet. */
    public double valueOrZero(String name, Map<String, String> labels) {
        return value(name, labels).orElse(0);
    }
}
