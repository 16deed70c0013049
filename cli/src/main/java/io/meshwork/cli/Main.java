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
            GatewayCommand.class,
            CertAgentCommand.class,
            CompletionCommand.class,
            HelpCommand.class,
        })
public final class Main implements Runnable {

    private static final String SIDECAR = "proxy";
    private static final String VERBOSE = "--verbose";
    private static final String VERBOSE_DESCRIPTION = "Show stack traces and debug logging.";

    @Option(names = VERBOSE, scope = CommandLine.ScopeType.INHERIT, description = VERBOSE_DESCRIPTION)
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
        CommandLine commandLine = args.length > 0 && args[0].equals(SIDECAR) ? sidecarCommandLine() : newCommandLine();
        return commandLine.execute(args);
    }

    static CommandLine newCommandLine() {
        return configure(new CommandLine(new Main()));
    }

    /**
     * {@code mesh proxy} alone, for the sidecar's start: picocli builds every command it is given by reflection, and the
     * whole tree loaded about 1,300 classes (Jackson, the control plane's, every command's options) before the sidecar's
     * first line ran (BENCHMARKS.md, "Sidecar footprint"). The root keeps the name {@code mesh} and its inherited
     * {@code --verbose}, so usage and errors read as with the whole tree.
     */
    static CommandLine sidecarCommandLine() {
        CommandLine.Model.CommandSpec root = CommandLine.Model.CommandSpec.create().name("mesh");
        root.addOption(CommandLine.Model.OptionSpec.builder(VERBOSE).scopeType(CommandLine.ScopeType.INHERIT)
                .description(VERBOSE_DESCRIPTION).build());
        return configure(new CommandLine(root).addSubcommand(SIDECAR, new ProxyCommand()));
    }

    private static CommandLine configure(CommandLine commandLine) {
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
