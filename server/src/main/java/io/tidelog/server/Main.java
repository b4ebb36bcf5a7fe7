package io.tidelog.server;

import io.tidelog.cli.ClientCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tidelog} command: every role and every client command of Tidelog. */
@Command(name = "tidelog", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Tidelog: a WAL-centred streaming service.",
        subcommands = {StandaloneCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every subcommand registered. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Object command : ClientCommands.all()) {
            cl.addSubcommand(command);
        }
        return cl;
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
