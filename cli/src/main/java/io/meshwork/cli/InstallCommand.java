package io.meshwork.cli;

import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.injector.install.InstallManifests;
import io.meshwork.injector.install.InstallOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh install}: prints the manifests that install Meshwork into a cluster. */
@Command(name = "install",
        description = "Print the manifests that install Meshwork (pipe to kubectl apply -f -).")
public final class InstallCommand implements Callable<Integer> {

    @Option(names = "--revision", paramLabel = "R",
            description = "Install side by side as revision R; namespaces opt in with label meshwork.io/rev=R.")
    String revision;

    @Option(names = "--kubernetes-version", paramLabel = "V",
            description = "Cluster version (default 1.29): from 1.29 sidecars are native sidecars.")
    String kubernetesVersion;

    @Option(names = "--hub", paramLabel = "H", description = "Image registry (default ghcr.io/meshwork).")
    String hub;

    @Option(names = "--tag", paramLabel = "T", description = "Image tag (default 0.1.0).")
    String tag;

    @Option(names = "--webhook-ca", paramLabel = "FILE", description = "PEM CA of the webhook certificate (caBundle).")
    Path webhookCa;

    @Option(names = "--webhook-cert", paramLabel = "FILE", description = "PEM serving certificate of the webhook.")
    Path webhookCert;

    @Option(names = "--webhook-key", paramLabel = "FILE", description = "PEM private key of --webhook-cert.")
    Path webhookKey;

    @Option(names = "--cluster", paramLabel = "NAME", description = "This cluster's name in a multi-cluster mesh (stamped "
            + "on its endpoints).")
    String cluster;

    @Option(names = "--multicluster", description = "Join a multi-cluster mesh: the control plane reads the other clusters "
            + "named by the kubeconfig Secrets of `mesh create-remote-secret`, and a read-only account (meshwork-reader) "
            + "lets theirs read this one. Needs --cluster.")
    boolean multicluster;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ca-dir", paramLabel = "DIR", description = "The CA folder the control plane signs workload "
            + "certificates with (Istio's cacerts names, from mesh certs intermediate). Every cluster of a multi-cluster "
            + "mesh needs an intermediate of the same root for mTLS between clusters. Without it: a new self-signed root.")
    Path caDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write; stdout when absent.")
    Path output;

    @Override
    public Integer call() throws IOException {
        CertificateAuthority meshCa = null;
        if (caDir != null) {
            try {
                meshCa = CaDirectory.load(caDir);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ca-dir: " + e.getMessage());
            }
        } else if (multicluster) {
            System.err.println("warning: --multicluster without --ca-dir: this cluster gets a root of its own, so mTLS "
                    + "with the other clusters fails; give each cluster an intermediate of one root (mesh certs intermediate)");
        }
        String yaml = new InstallManifests(new InstallOptions(revision, kubernetesVersion, hub, tag,
                read(webhookCa), read(webhookCert), read(webhookKey), cluster, multicluster, meshCa)).yaml();
        if (output == null) {
            System.out.print(yaml);
        } else {
            Files.writeString(output, yaml, StandardCharsets.UTF_8);
        }
        return 0;
    }

    private static String read(Path file) throws IOException {
        return file == null ? null : Files.readString(file, StandardCharsets.US_ASCII);
    }
}
