package io.meshwork.cli;

import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.injector.install.GatewayInstall;
import io.meshwork.injector.install.InstallManifests;
import io.meshwork.injector.install.InstallOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--gateway", paramLabel = "[NS/]NAME", description = "Deploy a mesh gateway for Gateway NAME "
            + "(gateway.networking.k8s.io, class meshwork): a Deployment and ServiceAccount NAME-meshwork, a Service of "
            + "its listener ports (--gateway-port), and a Role that lets the control plane read that namespace's TLS "
            + "Secrets. Repeatable. NS defaults to --gateway-namespace.")
    List<String> gateways = new ArrayList<>();

    @Option(names = "--gateway-namespace", paramLabel = "NS", defaultValue = "default",
            description = "The namespace of a --gateway given without one (default: ${DEFAULT-VALUE}); it must exist.")
    String gatewayNamespace;

    @Option(names = "--gateway-port", paramLabel = "PORTS", defaultValue = "80,443", description = "The listener ports "
            + "of the --gateway gateways, comma-separated, that their Service exposes (default: ${DEFAULT-VALUE}).")
    String gatewayPorts;

    @Option(names = "--gateway-file", paramLabel = "FILE", description = "Deploy a mesh gateway for each Gateway in this "
            + "YAML file, its Service exposing exactly that Gateway's listener ports. Repeatable.")
    List<Path> gatewayFiles = new ArrayList<>();

    @Option(names = "--gateway-service-type", paramLabel = "TYPE", defaultValue = "LoadBalancer",
            description = "The gateways' Service type: LoadBalancer (default), NodePort or ClusterIP.")
    String gatewayServiceType;

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
        List<GatewayInstall> gatewayInstalls = new ArrayList<>();
        try {
            if (gateways.isEmpty() && spec.commandLine().getParseResult().hasMatchedOption("--gateway-port")) {
                throw new IllegalArgumentException("--gateway-port: only with --gateway (a --gateway-file Gateway's "
                        + "ports are its listeners')");
            }
            List<Integer> ports = GatewayInstall.ports(gatewayPorts);
            for (String gateway : gateways) {
                int slash = gateway.indexOf('/');
                gatewayInstalls.add(new GatewayInstall(slash < 0 ? gatewayNamespace : gateway.substring(0, slash),
                        gateway.substring(slash + 1), ports, gatewayServiceType));
            }
            for (Path file : gatewayFiles) {
                gatewayInstalls.addAll(GatewayInstall.fromYaml(Files.readString(file, StandardCharsets.UTF_8),
                        file.toString(), gatewayNamespace, gatewayServiceType));
            }
            if (gatewayInstalls.isEmpty() && (spec.commandLine().getParseResult().hasMatchedOption("--gateway-namespace")
                    || spec.commandLine().getParseResult().hasMatchedOption("--gateway-service-type"))) {
                throw new IllegalArgumentException("--gateway-namespace and --gateway-service-type: only with --gateway "
                        + "or --gateway-file");
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        String yaml = new InstallManifests(new InstallOptions(revision, kubernetesVersion, hub, tag, read(webhookCa),
                read(webhookCert), read(webhookKey), cluster, multicluster, meshCa, gatewayInstalls)).yaml();
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
