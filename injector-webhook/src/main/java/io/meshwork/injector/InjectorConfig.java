package io.meshwork.injector;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the injection template needs to know about the installation: the proxy image, where the
 * control plane's xDS server is, the sidecar's default resources, and the cluster's Kubernetes
 * version (native sidecars from 1.29 on). Read from the webhook's {@code --config} YAML file.
 */
public record InjectorConfig(
        String proxyImage,
        String imagePullPolicy,
        String xdsAddress,
        String proxyCpuRequest,
        String proxyMemoryRequest,
        String proxyCpuLimit,
        String proxyMemoryLimit,
        String kubernetesVersion) {

    public static final String DEFAULT_HUB = "ghcr.io/meshwork";
    public static final String DEFAULT_TAG = "0.1.0";

    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\..*)?");

    public InjectorConfig {
        requireText("proxyImage", proxyImage);
        requireText("imagePullPolicy", imagePullPolicy);
        requireText("xdsAddress", xdsAddress);
        if (!xdsAddress.matches(".+:\\d+")) {
            throw new IllegalArgumentException("injector config: xdsAddress \"" + xdsAddress + "\" is not HOST:PORT");
        }
        minor(kubernetesVersion);
    }

    /** The defaults of a {@code mesh install} without flags. */
    public static InjectorConfig defaults() {
        return new InjectorConfig(proxyImage(DEFAULT_HUB, DEFAULT_TAG), "IfNotPresent",
                "meshwork-control-plane." + MeshNames.SYSTEM_NAMESPACE + ".svc:" + MeshNames.XDS_PLAINTEXT_PORT,
                "100m", "128Mi", "2", "1Gi", "1.29");
    }

    public static String proxyImage(String hub, String tag) {
        return hub + "/meshwork-proxy:" + tag;
    }

    /** Reads the YAML file; keys absent from it keep their defaults, unknown keys are an error. */
    public static InjectorConfig load(Path file) {
        Map<String, Object> values = YamlDocuments.readSingleMap(file);
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(InjectorConfig.defaults().toMap().keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(file + ": unknown injector config keys " + unknown);
        }
        return defaults().with(values);
    }

    /** A copy with the given keys (as in the YAML file) replaced. */
    public InjectorConfig with(Map<String, ?> values) {
        Map<String, String> merged = new java.util.LinkedHashMap<>(toMap());
        values.forEach((k, v) -> merged.put(k, v == null ? null : v.toString()));
        return new InjectorConfig(merged.get("proxyImage"), merged.get("imagePullPolicy"), merged.get("xdsAddress"),
                merged.get("proxyCpuRequest"), merged.get("proxyMemoryRequest"), merged.get("proxyCpuLimit"),
                merged.get("proxyMemoryLimit"), merged.get("kubernetesVersion"));
    }

    /** The config as the YAML file spells it, for {@code mesh install}'s ConfigMap. */
    public Map<String, String> toMap() {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        map.put("proxyImage", proxyImage);
        map.put("imagePullPolicy", imagePullPolicy);
        map.put("xdsAddress", xdsAddress);
        map.put("proxyCpuRequest", proxyCpuRequest);
        map.put("proxyMemoryRequest", proxyMemoryRequest);
        map.put("proxyCpuLimit", proxyCpuLimit);
        map.put("proxyMemoryLimit", proxyMemoryLimit);
        map.put("kubernetesVersion", kubernetesVersion);
        return map;
    }

    /** Native sidecars (an init container with {@code restartPolicy: Always}) exist from Kubernetes 1.29. */
    public boolean nativeSidecars() {
        return minor(kubernetesVersion) >= 29;
    }

    private static int minor(String version) {
        Matcher m = VERSION.matcher(version == null ? "" : version);
        if (!m.matches() || !m.group(1).equals("1")) {
            throw new IllegalArgumentException("injector config: kubernetesVersion \"" + version
                    + "\" is not a Kubernetes version like 1.29");
        }
        return Integer.parseInt(m.group(2));
    }

    private static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("injector config: " + field + " must not be empty");
        }
    }
}
