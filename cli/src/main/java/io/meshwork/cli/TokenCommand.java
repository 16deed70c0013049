package io.meshwork.cli;

import io.meshwork.controlplane.ca.WorkloadTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh token}: workload tokens, a local-mode sidecar's proof of who it is (as Kuma's dataplane tokens). */
@Command(name = "token",
        description = "Make workload tokens: what a sidecar presents to the CA in local mode.",
        subcommands = {TokenCommand.Create.class, HelpCommand.class})
public final class TokenCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code mesh token create}. */
    @Command(name = "create",
            description = {"Print a workload token (a JWT signed with the CA folder's token-key.pem) for one workload.",
                "Give it to that workload's sidecar: mesh proxy --token-file FILE."})
    static final class Create implements Callable<Integer> {

        @Option(names = "--ca-dir", required = true, paramLabel = "DIR",
                description = "The control plane's --ca-dir; its token-key.pem signs the token (made on first use).")
        Path caDir;

        @Option(names = "--workload", required = true, paramLabel = "NAME", description = "The workload the token is for.")
        String workload;

        @Option(names = {"--namespace", "-n"}, defaultValue = "default", paramLabel = "NS",
                description = "The workload's namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--service-account", required = true, paramLabel = "SA",
                description = "The service account whose identity the workload gets.")
        String serviceAccount;

        @Option(names = "--trust-domain", defaultValue = "cluster.local", paramLabel = "DOMAIN",
                description = "The control plane's --trust-domain (default: ${DEFAULT-VALUE}).")
        String trustDomain;

        @Option(names = "--ttl", defaultValue = "8760h", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "How long the token is accepted (default: ${DEFAULT-VALUE}, a year).")
        Duration ttl;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (!Files.isDirectory(caDir)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ca-dir " + caDir + ": not a directory");
            }
            if (ttl.isNegative() || ttl.isZero()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ttl: must be positive");
            }
            String token;
            try {
                token = WorkloadTokens.inFolder(caDir, trustDomain).create(workload, namespace, serviceAccount, ttl);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            System.out.println(token);
            return 0;
        }
    }
}
