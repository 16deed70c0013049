package io.meshwork.injector.install;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.injector.InjectorConfig;
import java.util.List;

/**
 * What {@code mesh install} varies: the revision (a suffix that lets two control planes run side
 * by side), the cluster's Kubernetes version, where the images come from, and the webhook's
 * serving certificate (PEM; all null to have one generated), the cluster's name in a multi-cluster mesh, and the
 * CA its control plane signs workload certificates with ({@code meshCa}, from {@code --ca-dir}: in a multi-cluster
 * mesh an intermediate of the root every cluster shares; null to have a self-signed root generated).
 */
public record InstallOptions(
        String revision,
        String kubernetesVersion,
        String hub,
        String tag,
        String webhookCaPem,
        String webhookCertPem,
        String webhookKeyPem,
        String cluster,
        boolean multicluster,
        CertificateAuthority meshCa,
        List<GatewayInstall> gateways) {

    /** The cluster's name in a multi-cluster mesh (with --multicluster), and its remote-reader account. */
    public static final String READER = "meshwork-reader";

    /** One cluster. */
    public InstallOptions(String revision, String kubernetesVersion, String hub, String tag, String webhookCaPem,
                          String webhookCertPem, String webhookKeyPem) {
        this(revision, kubernetesVersion, hub, tag, webhookCaPem, webhookCertPem, webhookKeyPem, null, false, null);
    }

    /** Without gateways. */
    public InstallOptions(String revision, String kubernetesVersion, String hub, String tag, String webhookCaPem,
                          String webhookCertPem, String webhookKeyPem, String cluster, boolean multicluster,
                          CertificateAuthority meshCa) {
        this(revision, kubernetesVersion, hub, tag, webhookCaPem, webhookCertPem, webhookKeyPem, cluster, multicluster,
                meshCa, List.of());
    }

    /** These options with {@code gateways} deployed too. */
    public InstallOptions withGateways(List<GatewayInstall> gateways) {
        return new InstallOptions(revision, kubernetesVersion, hub, tag, webhookCaPem, webhookCertPem, webhookKeyPem,
                cluster, multicluster, meshCa, gateways);
    }

    public InstallOptions {
        if (multicluster && (cluster == null || cluster.isBlank())) {
            throw new IllegalArgumentException("--multicluster needs --cluster NAME: every cluster of the mesh has its own name");
        }
        if (cluster != null && !cluster.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("--cluster \"" + cluster
                    + "\" must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
        }
        if (revision != null && !revision.isEmpty() && !revision.matches("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?")) {
            throw new IllegalArgumentException("--revision \"" + revision
                    + "\" must be a DNS label: lower-case letters, digits and '-', at most 32 characters");
        }
        revision = revision == null ? "" : revision;
        kubernetesVersion = kubernetesVersion == null ? InjectorConfig.defaults().kubernetesVersion() : kubernetesVersion;
        hub = hub == null ? InjectorConfig.DEFAULT_HUB : hub.replaceAll("/+$", "");
        tag = tag == null ? InjectorConfig.DEFAULT_TAG : tag;
        gateways = gateways == null ? List.of() : List.copyOf(gateways);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (GatewayInstall gateway : gateways) {
            if (!seen.add(gateway.namespace() + "/" + gateway.name())) {
                throw new IllegalArgumentException("gateway " + gateway.namespace() + "/" + gateway.name()
                        + " is given twice");
            }
        }
        int given = (webhookCaPem == null ? 0 : 1) + (webhookCertPem == null ? 0 : 1) + (webhookKeyPem == null ? 0 : 1);
        if (given != 0 && given != 3) {
            throw new IllegalArgumentException("--webhook-ca, --webhook-cert and --webhook-key go together: give all three or none");
        }
    }

    public static InstallOptions defaults() {
        return new InstallOptions(null, null, null, null, null, null, null);
    }

    /** {@code name} or {@code name-<revision>}. */
    public String named(String name) {
        return revision.isEmpty() ? name : name + "-" + revision;
    }

    public String image(String component) {
        return hub + "/meshwork-" + component + ":" + tag;
    }

    boolean webhookCertificateGiven() {
        return webhookCaPem != null;
    }
}
