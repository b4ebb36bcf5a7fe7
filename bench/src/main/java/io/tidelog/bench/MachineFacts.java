package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a reader needs to judge a result from this machine, printed before every run: CPU count and
 * model, kernel, JDK, load, and for the benchmark directory its filesystem, mount options and free
 * space. Mount options matter here: with {@code discard}, freed blocks go back to the host and the
 * first write to them is several times slower, which is why the baselines preallocate.
 *
 * <p>Every probe degrades to {@code "unknown"} off Linux instead of failing the run.
 *
 * @param nproc      processors available to the JVM
 * @param kernel     the kernel release, as {@code uname -r} prints it
 * @param jdk        vendor, VM name and runtime version
 * @param cpu        the first {@code model name} of the CPU information
 * @param load       the 1, 5 and 15 minute load averages when the run started
 * @param dir        the benchmark directory
 * @param mount      the mount holding {@code dir}, if the mount table could be read
 * @param freeBytes  usable bytes left on that filesystem
 */
record MachineFacts(int nproc, String kernel, String jdk, String cpu, String load, Path dir,
                    Optional<Mount> mount, long freeBytes) {

    private static final String UNKNOWN = "unknown";

    /** One line of the mount table, with the octal escapes of the kernel decoded. */
    record Mount(String device, String mountPoint, String type, String options) {
    }

    /** Reads the facts for a benchmark working in {@code dir}. */
    static MachineFacts probe(Path dir) throws IOException {
        Path real = dir.toRealPath();
        Optional<Mount> mount = readLines(Path.of("/proc/mounts")).flatMap(lines -> mountOf(real, lines));
        return new MachineFacts(
                Runtime.getRuntime().availableProcessors(),
                readLines(Path.of("/proc/sys/kernel/osrelease")).map(l -> l.get(0).trim())
                        .orElse(System.getProperty("os.version", UNKNOWN)),
                System.getProperty("java.vendor", UNKNOWN) + " " + System.getProperty("java.vm.name", UNKNOWN)
                        + " " + System.getProperty("java.runtime.version", UNKNOWN),
                readLines(Path.of("/proc/cpuinfo")).flatMap(MachineFacts::cpuModel).orElse(UNKNOWN),
                readLines(Path.of("/proc/loadavg")).map(MachineFacts::loadAverages).orElse(UNKNOWN),
                real,
                mount,
                Files.getFileStore(real).getUsableSpace());
    }

    /** The mount whose mount point is the longest prefix of {@code path}; the last such line wins. */
    static Optional<Mount> mountOf(Path path, List<String> mountTable) {
        Mount best = null;
        int bestDepth = -1;
        for (String line : mountTable) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            Mount m = new Mount(unescape(f[0]), unescape(f[1]), f[2], f[3]);
            Path mp = Path.of(m.mountPoint());
            if (path.startsWith(mp) && mp.getNameCount() >= bestDepth) {
                best = m;
                bestDepth = mp.getNameCount();
            }
        }
        return Optional.ofNullable(best);
    }

    /** Decodes the {@code \ooo} escapes the kernel uses for blanks and backslashes in the mount table. */
    static String unescape(String field) {
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        for (int i = from; i < from + 3; i++) {
            if (i >= s.length() || s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    private static Optional<String> cpuModel(List<String> cpuinfo) {
        return cpuinfo.stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
    }

    private static String loadAverages(List<String> loadavg) {
        String[] f = loadavg.get(0).trim().split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : UNKNOWN;
    }

    private static Optional<List<String>> readLines(Path p) {
        try {
            List<String> lines = Files.readAllLines(p);
            return lines.isEmpty() ? Optional.empty() : Optional.of(lines);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The facts as the lines printed at the head of a report. */
    List<String> lines() {
        String fs = mount.map(m -> m.type() + " on " + m.device() + " mounted at " + m.mountPoint()
                + " (" + m.options() + ")").orElse(UNKNOWN);
        return List.of(
                "machine: nproc=" + nproc + "  kernel=" + kernel + "  cpu=" + cpu,
                "jdk:     " + jdk,
                "load:    " + load + " (1/5/15 min, at start)",
                "dir:     " + dir + "  fs=" + fs,
                "free:    " + String.format(java.util.Locale.ROOT, "%.1f GiB", freeBytes / (double) (1L << 30)));
    }

    /** The facts as a JSON object. */
    void writeJson(JsonWriter json) throws IOException {
        json.beginObject()
                .name("nproc").value(nproc)
                .name("kernel").value(kernel)
                .name("jdk").value(jdk)
                .name("cpu").value(cpu)
                .name("load").value(load)
                .name("dir").value(dir.toString())
                .name("fs_type").value(mount.map(Mount::type).orElse(UNKNOWN))
                .name("mount_point").value(mount.map(Mount::mountPoint).orElse(UNKNOWN))
                .name("mount_options").value(mount.map(Mount::options).orElse(UNKNOWN))
                .name("free_bytes").value(freeBytes)
                .endObject();
    }
}
