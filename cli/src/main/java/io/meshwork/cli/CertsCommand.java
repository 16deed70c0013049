package io.meshwork.cli;

import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh certs}: makes the mesh's CA files, as Istio's plug-in CA tooling does: one root
 * shared by every cluster, and one intermediate per cluster signed by it, each in a folder with
 * the {@code cacerts} file names that {@code mesh control-plane --ca-dir} reads.
 */
@Command(name = "certs",
        description = "Make the mesh's certificate authority: a root, and an intermediate per cluster.",
        subcommands = {CertsCommand.Root.class, CertsCommand.Intermediate.class, HelpCommand.class})
public final class CertsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code mesh certs root --out DIR}. */
    @Command(name = "root",
            description = {"Make a self-signed root CA (ECDSA P-256, 10 years) in DIR: root-cert.pem and root-key.pem, "
                    + "plus ca-cert.pem, ca-key.pem, cert-chain.pem so that DIR can serve as --ca-dir on its own.",
                "Keep root-key.pem offline once the intermediates are made."})
    static final class Root implements Callable<Integer> {

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (created if missing; must not hold a CA yet).")
        Path out;

        @Option(names = "--name", defaultValue = "meshwork root CA", paramLabel = "NAME",
                description = "Common name of the root (default: ${DEFAULT-VALUE}).")
        String name;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            refuseToOverwrite(spec, out);
            CertificateAuthority root = CertificateAuthority.createSelfSigned(name, CaDirectory.ROOT_VALIDITY);
            CaDirectory.writeRoot(root, out);
            System.out.println("root CA \"" + name + "\" written to " + out + " (valid until "
                    + root.certificate().getNotAfter().toInstant() + ")");
            return 0;
        }
    }

    /** {@code mesh certs intermediate --root DIR --cluster NAME --out DIR}. */
    @Command(name = "intermediate",
            description = "Make a cluster's intermediate CA signed by the root in --root: writes ca-cert.pem, ca-key.pem, "
                    + "cert-chain.pem and root-cert.pem (Istio's cacerts names) for that cluster's --ca-dir.")
    static final class Intermediate implements Callable<Integer> {

        @Option(names = "--root", required = true, paramLabel = "DIR",
                description = "Folder with root-cert.pem and root-key.pem (from mesh certs root).")
        Path root;

        @Option(names = "--cluster", required = true, paramLabel = "NAME", description = "The cluster this intermediate signs for.")
        String cluster;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (created if missing; must not hold a CA yet).")
        Path out;

        @Option(names = "--validity", defaultValue = "43800h", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "How long the intermediate is valid, at most as long as the root (default: ${DEFAULT-VALUE}).")
        Duration validity;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (cluster.isBlank() || !cluster.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--cluster " + cluster
                        + ": must be a DNS label (lower-case letters, digits, '-' and '.')");
            }
            refuseToOverwrite(spec, out);
            CertificateAuthority rootCa;
            try {
                rootCa = CaDirectory.loadRoot(root);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--root " + root + ": " + e.getMessage());
            }
            CertificateAuthority intermediate = rootCa.createIntermediate("meshwork intermediate CA " + cluster, validity);
            CaDirectory.write(intermediate, out);
            System.out.println("intermediate CA for cluster " + cluster + " written to " + out + " (valid until "
                    + intermediate.certificate().getNotAfter().toInstant() + "); start its control plane with --ca-dir "
                    + out);
            return 0;
        }
    }

    private static void refuseToOverwrite(CommandLine.Model.CommandSpec spec, Path out) {
        for (String file : new String[] {CaDirectory.CA_KEY, CaDirectory.ROOT_KEY}) {
            if (Files.exists(out.resolve(file))) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": already holds "
                        + file + "; refusing to replace a CA's key (choose another folder)");
            }
        }
    }
}
