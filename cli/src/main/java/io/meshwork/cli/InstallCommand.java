package io.meshwork.cli;

import io.meshwork.injector.install.InstallManifests;
import io.meshwork.injector.install.InstallOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write; stdout when absent.")
    Path output;

    @Override
    public Integer call() throws IOException {
        String yaml = new InstallManifests(new InstallOptions(revision, kubernetesVersion, hub, tag,
                read(webhookCa), read(webhookCert), read(webhookKey), cluster, multicluster)).yaml();
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
