package io.meshwork.cli;

import java.net.URI;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code mesh} command: one entry point for every Meshwork process and operator task. */
@Command(
        name = "mesh",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Meshwork: a service mesh for Kubernetes, and locally from a folder of YAML files.",
        subcommands = {
            VersionCommand.class,
            SplitCommand.class,
            CanaryCommand.class,
            AnalyzeCommand.class,
            EchoCommand.class,
            io.meshwork.cli.demo.DemoCommand.class,
            ControlPlaneCommand.class,
            ProxyStatusCommand.class,
            CreateRemoteSecretCommand.class,
            ProxyConfigCommand.class,
            WebhookCommand.class,
            InitIptablesCommand.class,
            InjectCommand.class,
            InstallCommand.class,
            CertsCommand.class,
            TokenCommand.class,
            ProxyCommand.class,
            CertAgentCommand.class,
            CompletionCommand.class,
            HelpCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces and debug logging.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code; tests call this instead of {@link #main}. */
    public static int execute(String... args) {
        CommandLine commandLine = newCommandLine();
        return commandLine.execute(args);
    }

    static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.registerConverter(URI.class, new HttpUrl());
        commandLine.setDefaultValueProvider(new DemoContext.Defaults());
        addHelpOptions(commandLine);
        commandLine.setExecutionExceptionHandler(new OneLineErrors());
        commandLine.setParameterExceptionHandler(new OneLineErrors.Usage());
        return commandLine;
    }

    /**
     * {@code -h}/{@code --help} on every subcommand at any depth ({@code --version} stays on {@code mesh} alone), added
     * here once rather than on each command class so that a new command cannot miss it.
     */
    private static void addHelpOptions(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelpOptions(sub);
        }
    }
}
