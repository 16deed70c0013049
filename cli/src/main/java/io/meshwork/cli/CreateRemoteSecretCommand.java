package io.meshwork.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import io.meshwork.injector.MeshNames;
import io.meshwork.injector.YamlDocuments;
import io.meshwork.injector.install.InstallOptions;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mesh create-remote-secret}: as {@code istioctl create-remote-secret}, prints the Secret through which the
 * other clusters' control planes read this one (the cluster of {@code --kubeconfig}/{@code --context}): a kubeconfig
 * with the token of its read-only {@code meshwork-reader} account, labelled {@code meshwork.io/multicluster=true}
 * and named by {@code meshwork.io/cluster}. Apply it in every other cluster.
 */
@Command(name = "create-remote-secret", description = "Print the Secret that lets the other clusters' control planes read "
        + "this one (apply it in each of them: mesh create-remote-secret ... | kubectl --context OTHER apply -f -).")
final class CreateRemoteSecretCommand implements Callable<Integer> {

    /** How long the API server's token controller may take to fill the reader's token. */
    static final long TOKEN_WAIT_SECONDS = 30;

    @Mixin
    KubeOptions kube;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "This cluster's name in the mesh (its "
            + "control plane's --cluster).")
    String name;

    @Option(names = "--server", paramLabel = "URL", description = "The API server's URL as the other clusters reach it "
            + "(default: the kubeconfig's).")
    String server;

    @Override
    public Integer call() throws Exception {
        if (!kube.onCluster()) {
            throw new IllegalArgumentException("--kubeconfig FILE or --context C: which cluster should the others read?");
        }
        try (KubeOptions opened = kube) {
            KubernetesClient client = kube.client();
            String namespace = MeshNames.SYSTEM_NAMESPACE;
            if (client.serviceAccounts().inNamespace(namespace).withName(InstallOptions.READER).get() == null) {
                throw new IllegalArgumentException("no ServiceAccount " + namespace + "/" + InstallOptions.READER + " in cluster "
                        + kube.clusterName() + ": install it there with mesh install --cluster " + name + " --multicluster");
            }
            // A long-lived token, as the other control planes keep reading: a Secret the token controller fills.
            String tokenSecret = InstallOptions.READER + "-token";
            if (client.secrets().inNamespace(namespace).withName(tokenSecret).get() == null) {
                client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(tokenSecret)
                        .withNamespace(namespace).addToAnnotations("kubernetes.io/service-account.name", InstallOptions.READER)
                        .endMetadata().withType("kubernetes.io/service-account-token").build()).create();
            }
            Secret filled = awaitToken(client, namespace, tokenSecret);
            String token = decode(filled.getData().get("token"));
            String caData = filled.getData().get("ca.crt");
            String url = server != null ? server : client.getMasterUrl().toString().replaceAll("/+$", "");
            System.out.print(YamlDocuments.write(java.util.List.of(tree(client, secret(kubeconfig(url, caData, token))))));
            System.err.println("Secret for cluster " + name + " (API server " + url + ") printed; apply it in every other "
                    + "cluster's namespace " + namespace);
            return 0;
        }
    }

    private Secret awaitToken(KubernetesClient client, String namespace, String tokenSecret) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TOKEN_WAIT_SECONDS);
        boolean said = false;
        while (true) {
            Secret secret = client.secrets().inNamespace(namespace).withName(tokenSecret).get();
            if (secret != null && secret.getData() != null && secret.getData().get("token") != null) {
                return secret;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Secret " + namespace + "/" + tokenSecret + " got no token within "
                        + TOKEN_WAIT_SECONDS + " s (is the API server's token controller running?)");
            }
            if (!said) {
                System.err.println("waiting for the token of " + namespace + "/" + InstallOptions.READER + " ...");
                said = true;
            }
            Thread.sleep(250);
        }
    }

    private String kubeconfig(String url, String caData, String token) {
        return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n  cluster:\n    server: " + url + "\n"
                + (caData != null ? "    certificate-authority-data: " + caData + "\n" : "")
                + "contexts:\n- name: " + name + "\n  context: {cluster: " + name + ", user: " + InstallOptions.READER + "}\n"
                + "current-context: " + name + "\nusers:\n- name: " + InstallOptions.READER + "\n  user:\n    token: " + token
                + "\n";
    }

    private Secret secret(String kubeconfig) {
        return new SecretBuilder().withNewMetadata().withName("meshwork-remote-secret-" + name)
                .withNamespace(MeshNames.SYSTEM_NAMESPACE)
                .addToLabels(RemoteClusters.SECRET_LABEL, "true").addToAnnotations(RemoteClusters.NAME_ANNOTATION, name)
                .endMetadata().withType("Opaque")
                .withData(Map.of(RemoteClusters.SECRET_KEY,
                        Base64.getEncoder().encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8))))
                .build();
    }

    private static tools.jackson.databind.JsonNode tree(KubernetesClient client, Secret secret) {
        return OutputFormat.JSON.readTree(client.getKubernetesSerialization().asJson(secret));
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
