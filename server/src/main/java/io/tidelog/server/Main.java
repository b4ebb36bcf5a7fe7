package io.tidelog.server;

import io.tidelog.cli.ClientCommands;
import io.tidelog.cli.Launcher;
import io.tidelog.cli.StopRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tidelog} command: every role and every client command of Tidelog. Run by {@link Launcher}: UTF-8
 * output, one-line errors with the documented exit statuses, and SIGTERM or Ctrl-C as a request to stop cleanly.
 */
@Command(name = "tidelog", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Tidelog: a WAL-centred streaming service.")
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        StopRequest stop = new StopRequest();
        System.exit(Launcher.run(commandLine(stop), args, stop));
    }

    /** The command line with every subcommand registered, stopped by nothing. */
    public static CommandLine commandLine() {
        return commandLine(new StopRequest());
    }

    /** The command line with every subcommand registered; long-running commands end cleanly once {@code stop} is requested. */
    public static CommandLine commandLine(StopRequest stop) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(new StandaloneCommand(stop));
        cl.addSubcommand(new CoordCommand(stop));
        cl.addSubcommand(new NodeCommand(stop));
        cl.addSubcommand(new ConfigCommand());
        for (Object command : ClientCommands.all(stop)) {
            cl.addSubcommand(command);
        }
        return Launcher.configure(cl);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tidelog " + (v == null ? "(development build)" : v)};
        }
    }
}
