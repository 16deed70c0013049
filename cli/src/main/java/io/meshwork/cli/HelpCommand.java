package io.meshwork.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code mesh help [COMMAND...]}: the usage of any command at any depth, as {@code mesh help canary promote}
 * (picocli's own help command stops at the first level and would show {@code canary}'s help there).
 */
@Command(name = "help", helpCommand = true, description = "Show the help of a command, e.g. `mesh help canary promote`.")
final class HelpCommand implements Callable<Integer> {

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, with its subcommands.")
    String[] path = new String[0];

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine target = spec.parent().commandLine();
        for (String name : path) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                spec.commandLine().getErr().println("error: '" + target.getCommandSpec().qualifiedName() + "' has no command '"
                        + name + "'; its commands: " + String.join(", ", target.getSubcommands().keySet()));
                return 2;
            }
            target = sub;
        }
        target.usage(spec.commandLine().getOut());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
