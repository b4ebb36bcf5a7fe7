package io.tidelog.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** One run of the {@code tidelog} command line in this process: its exit status and what it printed. */
record CommandRun(int status, String out, String err) {

    /** Runs {@code args} with {@code --server server} appended. */
    static CommandRun against(String server, String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(server);
        int status = cl.execute(all.toArray(String[]::new));
        return new CommandRun(status, out.toString(), err.toString());
    }

    /** Standard output's lines. */
    List<String> lines() {
        return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
    }
}
