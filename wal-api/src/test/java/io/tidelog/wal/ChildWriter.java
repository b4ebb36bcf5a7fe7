package io.tidelog.wal;

import io.tidelog.common.MessageId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link FencingRaceChild} process appending to a pchannel at a term, and the acknowledgements it printed
 * (read as they come, kept after it dies).
 */
public final class ChildWriter implements AutoCloseable {
    /** One acknowledgement the child printed: the id, and when the append was submitted and acknowledged. */
    public record Ack(MessageId id, long submitted, long acknowledged) {
    }

    final Process process;
    private final Path stderrFile;
    /** Key to acknowledgement. */
    public final Map<String, Ack> acks = new ConcurrentHashMap<>();
    private final Thread reader;

    private ChildWriter(Process process, Path stderrFile) {
        this.process = process;
        this.stderrFile = stderrFile;
        this.reader = new Thread(this::read, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a child that opens {@code pchannel} at {@code term} on the backend and appends until killed. */
    public static ChildWriter start(Path scratch, String backend, Map<String, String> properties, String pchannel,
                                    long term) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                FencingRaceChild.class.getName(), backend, pchannel, Long.toString(term)));
        properties.forEach((k, v) -> cmd.add(k + "=" + v));
        Path err = Files.createTempFile(scratch, "child", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        return new ChildWriter(pb.start(), err);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    String[] p = line.split(" ");
                    acks.put(p[1], new Ack(MessageId.parse(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])));
                }
            }
        } catch (IOException e) {
            // the child died; what it printed before is kept
        }
    }

    /** SIGKILL (while appends are in flight), then every line the child printed before it died is read. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(30));
    }

    /** The exit status: 137 after SIGKILL. */
    public int exitValue() {
        return process.exitValue();
    }

    public String stderr() {
        try {
            return Files.readString(stderrFile);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
