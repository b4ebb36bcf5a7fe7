package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Promela model of the cluster's pchannel assignment and fencing protocol ({@code src/test/promela/assignment.pml}:
 * 2 coordinators, 3 nodes, 2 pchannels, the meta store and the log storage, faults from a budget), checked
 * exhaustively by spin: (a) no append is acknowledged to a writer of term T after an open at a term above T returned,
 * (b) no two coordinators act as leader on the same meta-store revision, (c) once faults stop, every pchannel is
 * eventually ASSIGNED to a node that serves it. Each property is also shown able to fail: a mutation of the model
 * with one protocol step removed makes spin report a violation, and so do the two places where the design draft is
 * wrong as written (the model has the fix); the counterexamples are printed.
 *
 * <p>Each check builds the verifier in a temporary directory ({@code spin -a}, then {@code gcc} on {@code pan.c}) and
 * runs it to the end of the search: the search must be complete (not cut short by its depth or memory bound) and
 * find no error, or, for a mutation, find one of the expected kind. Every process has a deadline; the output of a
 * check that fails is printed, with the story of the counterexample ({@code spin -t}, the model's {@code printf}s).
 *
 * <p>Needs {@code spin} (Debian package {@code spin}; {@code ./scripts/test} installs it) and {@code gcc}.
 */
class AssignmentProtocolModelTest {
    private static final Path MODEL = Path.of(System.getProperty("basedir", "."), "src", "test", "promela",
            "assignment.pml");
    private static final Duration SPIN_DEADLINE = Duration.ofMinutes(1);
    private static final Duration GCC_DEADLINE = Duration.ofMinutes(3);
    private static final Duration PAN_DEADLINE = Duration.ofMinutes(5);
    /** pan stops at this many megabytes and says so: a state-space explosion fails the test instead of swapping. */
    private static final int MEMORY_LIMIT_MB = 1536;

    @TempDir
    Path dir;

    @BeforeAll
    static void spinAndGccAreInstalled() throws Exception {
        for (String tool : List.of("spin", "gcc")) {
            if (!onPath(tool)) {
                fail(tool + " is not installed: the assignment protocol model needs it (./scripts/test installs the"
                        + " Debian packages spin and gcc when they are missing)");
            }
        }
        assertThat(Files.isRegularFile(MODEL)).as("the model at %s", MODEL.toAbsolutePath()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ the properties

    @Test
    void noStaleAppendIsAcknowledgedAndNoTwoLeadersWriteInAnyInterleavingOfTwoFaults() throws Exception {
        Search s = safety("safety", Size.LARGE, "-DFAULTS=2");
        s.assertCompleteWithoutErrors();
    }

    @Test
    void everyPchannelIsServedOnceFaultsStopAfterTwoFaultsWithTheBalancersRule() throws Exception {
        Search s = liveness("liveness", Size.LARGE, "-DFAULTS=2", "-DBALANCER_RULE");
        s.assertCompleteWithoutErrors();
    }

    @Test
    void everyPchannelIsServedOnceFaultsStopAfterOneFaultWhicheverLiveNodeTheBalancerPicks() throws Exception {
        Search s = liveness("liveness-any-target", Size.SMALL, "-DFAULTS=1");
        s.assertCompleteWithoutErrors();
    }

    // ------------------------------------------------------------------------------------------------ the mutations

    @Test
    void aLeaderWriteNotGuardedByTheLeaderKeysCreateRevisionIsCaught() throws Exception {
        safety("no-guard", Size.SMALL, "-DFAULTS=2", "-DMUT_NO_GUARD")
                .assertViolated("assertion violated", "ldrOwner");
    }

    @Test
    void anOpenThatDoesNotFenceOlderWritersIsCaught() throws Exception {
        safety("no-fence", Size.SMALL, "-DFAULTS=2", "-DMUT_NO_FENCE")
                .assertViolated("assertion violated", "openReturned");
    }

    @Test
    void aFailedAssignLeftAssigningIsCaught() throws Exception {
        liveness("no-retry", Size.SMALL, "-DFAULTS=2", "-DBALANCER_RULE", "-DMUT_NO_RETRY")
                .assertViolated("acceptance cycle", "");
    }

    @Test
    void anAssignedWriteWithoutACasOnTheRecordIsCaught() throws Exception {
        safety("step4-no-cas", Size.SMALL, "-DFAULTS=2", "-DSTEP4_NO_CAS")
                .assertViolated("assertion violated", "taskTerm");
    }

    @Test
    void anAssignmentNamingItsNodeButNotTheNodesSessionIsCaught() throws Exception {
        liveness("node-by-id", Size.SMALL, "-DFAULTS=2", "-DBALANCER_RULE", "-DNODE_BY_ID")
                .assertViolated("acceptance cycle", "");
    }

    // ------------------------------------------------------------------------------------------------ running spin

    /**
     * How long a search runs: a large one (seconds, millions of states) is worth compiling with {@code -O2}; a small
     * one (a mutation stops at its first violation) is done sooner with a compiler that does not optimise.
     */
    private enum Size {
        SMALL("-O0"), LARGE("-O2");

        final String optimisation;

        Size(String optimisation) {
            this.optimisation = optimisation;
        }
    }

    /** Assertions only (properties a, b and the model's own): a depth-first search of every reachable state. */
    private Search safety(String name, Size size, String... defines) throws Exception {
        return search(name, size, List.of(defines), List.of("-DSAFETY", "-DNOCLAIM"), List.of("-m10000", "-w23"));
    }

    /** The LTL formula {@code live} (property c) under weak fairness; assertions are checked on the way. */
    private Search liveness(String name, Size size, String... defines) throws Exception {
        return search(name, size, List.of(defines), List.of(), List.of("-a", "-f", "-m100000", "-w22"));
    }

    private Search search(String name, Size size, List<String> defines, List<String> panDefines, List<String> panArgs)
            throws Exception {
        Path work = Files.createDirectories(dir.resolve(name));
        Files.copy(MODEL, work.resolve("assignment.pml"));
        List<String> spin = new ArrayList<>(List.of("spin"));
        spin.addAll(defines);
        spin.addAll(List.of("-a", "assignment.pml"));
        run(work, SPIN_DEADLINE, spin);
        List<String> gcc = new ArrayList<>(List.of("gcc", size.optimisation, "-w",
                "-DMEMLIM=" + MEMORY_LIMIT_MB));
        gcc.addAll(panDefines);
        gcc.addAll(List.of("-o", "pan", "pan.c"));
        run(work, GCC_DEADLINE, gcc);
        List<String> pan = new ArrayList<>(List.of("./pan"));
        pan.addAll(panArgs);
        long started = System.nanoTime();
        String out = run(work, PAN_DEADLINE, pan);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        return new Search(name, work, defines, out, took);
    }

    /** What pan said about one search. */
    private final class Search {
        final String name;
        final Path work;
        final List<String> defines;
        final String out;
        final Duration took;

        Search(String name, Path work, List<String> defines, String out, Duration took) {
            this.name = name;
            this.work = work;
            this.defines = defines;
            this.out = out;
            this.took = took;
        }

        int errors() {
            Matcher m = Pattern.compile("errors: (\\d+)").matcher(out);
            if (!m.find()) {
                throw new AssertionError(name + ": pan printed no error count\n" + out);
            }
            return Integer.parseInt(m.group(1));
        }

        /** Why the search is not a proof: it did not visit every reachable state, or was not a full search. */
        List<String> incomplete() {
            List<String> why = new ArrayList<>();
            for (String sign : List.of("max search depth too small", "Search not completed", "MEMLIM bound",
                    "out of memory")) {
                if (out.contains(sign)) {
                    why.add(sign);
                }
            }
            if (!out.contains("Full statespace search")) {
                why.add("not a full state-space search");
            }
            return why;
        }

        void assertCompleteWithoutErrors() throws Exception {
            if (errors() != 0 || !incomplete().isEmpty()) {
                fail(name + " " + defines + ": " + errors() + " errors, incomplete: " + incomplete() + "\n" + out
                        + "\ncounterexample:\n" + story());
            }
            System.out.println(name + " " + defines + ": " + summary());
        }

        /** {@code kind}: "assertion violated" or "acceptance cycle"; {@code detail}: text of the violated assertion. */
        void assertViolated(String kind, String detail) throws Exception {
            String line = out.lines().filter(l -> l.contains(kind)).findFirst().orElse(null);
            if (errors() == 0 || line == null || !line.contains(detail)) {
                fail(name + " " + defines + ": expected a violation (" + kind + " " + detail + "), pan said:\n" + out);
            }
            System.out.println(name + " " + defines + ": " + line.trim() + " (" + summary() + ")\n" + story());
        }

        String summary() {
            return stat("([\\d.e+]+) states, stored") + " states stored, depth " + stat("depth reached (\\d+)")
                    + ", " + stat("([\\d.]+)\\s+total actual memory usage") + " MB, pan "
                    + stat("elapsed time ([\\d.e+]+) seconds") + " s (" + took.toMillis() + " ms with its start)";
        }

        private String stat(String regex) {
            Matcher m = Pattern.compile(regex).matcher(out);
            return m.find() ? m.group(1) : "?";
        }

        /** The counterexample as the model tells it (its printfs), replayed from the trail pan wrote. */
        String story() throws Exception {
            if (!Files.exists(work.resolve("assignment.pml.trail"))) {
                return "(no trail)";
            }
            List<String> spin = new ArrayList<>(List.of("spin", "-t"));
            spin.addAll(defines);
            spin.add("assignment.pml");
            List<String> lines = new ArrayList<>();
            for (String l : run(work, SPIN_DEADLINE, spin).lines().toList()) {
                if (l.startsWith("spin: trail ends")) {
                    break; // the final values of every variable follow
                }
                if (!l.startsWith("Never claim") && !l.startsWith("ltl ") && !l.isBlank()) {
                    lines.add(l.strip());
                }
            }
            return String.join("\n", lines);
        }
    }

    /** Runs {@code command} in {@code work}, returns its stdout and stderr; fails past the deadline or on failure. */
    private static String run(Path work, Duration deadline, List<String> command)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile(work, "out", ".txt");
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not finish within " + deadline + "; its output:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + "; its output:\n" + out);
        }
        return out;
    }

    private static boolean onPath(String tool) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
