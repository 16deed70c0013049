package io.meshwork.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception from a command into one line on stderr and exit code 1; the stack trace
 * only with {@code --verbose}.
 */
final class OneLineErrors implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        boolean verbose = parseResult.hasMatchedOption("--verbose")
                || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
        if (verbose) {
            ex.printStackTrace(commandLine.getErr());
        }
        String message = ex instanceof io.fabric8.kubernetes.client.KubernetesClientException k
                ? "the cluster's API server: " + io.meshwork.controlplane.source.kubernetes.ApiErrors.reason(k)
                : ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        commandLine.getErr().println("error: " + message);
        commandLine.getErr().flush();
        return ex instanceof CommandLine.ParameterException ? 2 : 1;
    }

    /**
     * A command line picocli cannot parse: one line saying what was wrong (the option or argument named), a
     * suggestion only when one is a typo away, and where the usage is, as kubectl answers; exit code 2. The whole
     * usage is not printed: it buried the one line that mattered.
     */
    static final class Usage implements CommandLine.IParameterExceptionHandler {

        private static final int CLOSE = 2;

        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine command = ex.getCommandLine();
            PrintWriter err = command.getErr();
            err.println("error: " + ex.getMessage());
            if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
                String typed = unmatched.getUnmatched().get(0);
                List<String> close = unmatched.getSuggestions().stream().filter(s -> distance(typed, s) <= CLOSE).toList();
                if (!close.isEmpty()) {
                    err.println("did you mean " + String.join(" or ", close) + "?");
                }
            }
            err.println("see '" + command.getCommandSpec().qualifiedName() + " --help'");
            err.flush();
            return 2;
        }

        /** Levenshtein distance, small strings only. */
        static int distance(String a, String b) {
            int[] previous = new int[b.length() + 1];
            int[] current = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                previous[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                current[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
                }
                int[] swap = previous;
                previous = current;
                current = swap;
            }
            return previous[b.length()];
        }
    }
}
