package io.meshwork.injector;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The one injection template, shared by the webhook and {@code mesh inject}: the {@code mesh-init}
 * init container, the {@code mesh-proxy} sidecar and the volumes they use, built from the
 * installation's {@link InjectorConfig} and the pod's own annotations.
 */
public final class InjectionTemplate {

    public static final String TOKEN_PATH = "/var/run/secrets/tokens";
    public static final String ROOT_CERT_PATH = "/var/run/secrets/meshwork";
    /** The file names inside those mounts: the token's projected path, and the root ConfigMap's key. */
    public static final String TOKEN_FILE = "meshwork-token";
    public static final String ROOT_CERT_FILE = "root-cert.pem";
    public static final String TMP_VOLUME = "meshwork-tmp";
    /** Ports the kubelet and Prometheus reach directly; capturing them would loop through the proxy. */
    static final List<Integer> ALWAYS_EXCLUDED_INBOUND = List.of(MeshNames.HEALTH_PORT, MeshNames.METRICS_PORT);

    private final InjectorConfig config;
    private final List<Volume> volumes;

    public InjectionTemplate(InjectorConfig config) {
        this.config = config;
        this.volumes = buildVolumes();
    }

    public InjectorConfig config() {
        return config;
    }

    /** The init container that installs the capture rules (root with NET_ADMIN/NET_RAW, only while it runs). */
    Container initContainer(Map<String, String> annotations) {
        TreeSet<Integer> excludedInbound = new TreeSet<>(ALWAYS_EXCLUDED_INBOUND);
        excludedInbound.addAll(ports(annotations, MeshNames.EXCLUDE_INBOUND_PORTS));
        List<String> args = new ArrayList<>(List.of("init-iptables",
                "-p", String.valueOf(MeshNames.OUTBOUND_PORT),
                "-z", String.valueOf(MeshNames.INBOUND_PORT),
                "-u", String.valueOf(MeshNames.PROXY_UID),
                "-g", String.valueOf(MeshNames.PROXY_GID),
                "-b", "*",
                "-d", join(excludedInbound)));
        addIfPresent(args, "-o", join(ports(annotations, MeshNames.EXCLUDE_OUTBOUND_PORTS)));
        addIfPresent(args, "-x", cidrs(annotations, MeshNames.EXCLUDE_OUTBOUND_IP_RANGES));
        String included = cidrs(annotations, MeshNames.INCLUDE_OUTBOUND_IP_RANGES);
        args.addAll(List.of("-i", included.isEmpty() ? "*" : included));
        return new ContainerBuilder()
                .withName(MeshNames.INIT_CONTAINER)
                .withImage(config.proxyImage())
                .withImagePullPolicy(config.imagePullPolicy())
                .withArgs(args)
                .withNewResources()
                    .addToRequests("cpu", new Quantity("10m"))
                    .addToRequests("memory", new Quantity("64Mi"))
                    .addToLimits("cpu", new Quantity("1"))
                    .addToLimits("memory", new Quantity("256Mi"))
                .endResources()
                .withNewSecurityContext()
                    .withRunAsUser(0L).withRunAsGroup(0L).withRunAsNonRoot(false)
                    .withPrivileged(false).withAllowPrivilegeEscalation(false)
                    // iptables takes its lock under /run: the root filesystem must stay writable here.
                    .withReadOnlyRootFilesystem(false)
                    .withNewCapabilities().withAdd("NET_ADMIN", "NET_RAW").withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .build();
    }

    /**
     * The sidecar. {@code appProbers} is the JSON of the app's original probes (or null);
     * {@code nativeSidecar} makes it an init container with {@code restartPolicy: Always}, else it
     * holds the app back with a postStart hook that waits for readiness.
     */
    Container sidecarContainer(Map<String, String> annotations, String appProbers, boolean nativeSidecar,
            List<String> warnings) {
        Map<String, Quantity> requests = new LinkedHashMap<>();
        Map<String, Quantity> limits = new LinkedHashMap<>();
        resource("cpu", config.proxyCpuRequest(), config.proxyCpuLimit(), annotations.get(MeshNames.PROXY_CPU),
                MeshNames.PROXY_CPU, requests, limits, warnings);
        resource("memory", config.proxyMemoryRequest(), config.proxyMemoryLimit(),
                annotations.get(MeshNames.PROXY_MEMORY), MeshNames.PROXY_MEMORY, requests, limits, warnings);

        List<EnvVar> env = new ArrayList<>(List.of(
                fieldEnv("POD_NAME", "metadata.name"),
                fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                fieldEnv("INSTANCE_IP", "status.podIP"),
                fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName")));
        if (appProbers != null) {
            env.add(new EnvVarBuilder().withName(MeshNames.APP_PROBERS_ENV).withValue(appProbers).build());
        }

        ContainerBuilder sidecar = new ContainerBuilder()
                .withName(MeshNames.PROXY_CONTAINER)
                .withImage(config.proxyImage())
                .withImagePullPolicy(config.imagePullPolicy())
                .withArgs(proxyArgs())
                .addNewPort().withName("http-mesh-prom").withContainerPort(MeshNames.METRICS_PORT)
                    .withProtocol("TCP").endPort()
                .withEnv(env)
                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                .withReadinessProbe(readiness(2, 4))
                .withNewSecurityContext()
                    .withRunAsUser(MeshNames.PROXY_UID).withRunAsGroup(MeshNames.PROXY_GID).withRunAsNonRoot(true)
                    .withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false).withPrivileged(false)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName(MeshNames.TOKEN_VOLUME).withMountPath(TOKEN_PATH)
                    .withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(MeshNames.ROOT_CERT_VOLUME).withMountPath(ROOT_CERT_PATH)
                    .withReadOnly(true).endVolumeMount()
                // The JVM and Netty's native transport write to /tmp; the root filesystem is read-only.
                .addNewVolumeMount().withName(TMP_VOLUME).withMountPath("/tmp").endVolumeMount();
        if (nativeSidecar) {
            // The kubelet starts the next container only once this startup probe passes.
            sidecar.withRestartPolicy("Always").withStartupProbe(readiness(1, 600));
        } else {
            sidecar.withNewLifecycle().withNewPostStart().withNewExec().withCommand("sh", "-c", waitForReadiness())
                    .endExec().endPostStart().endLifecycle();
        }
        return sidecar.build();
    }

    /** The token (audience {@code meshwork-ca}) and root-certificate volumes the CA work relies on. */
    List<Volume> volumes() {
        return volumes;
    }

    /**
     * The identity volumes of a sidecar, for any pod that runs the proxy image with a workload certificate (a
     * {@code mesh gateway} Deployment of {@code mesh install --gateway}): the projected token, the root ConfigMap, /tmp.
     */
    public static List<Volume> identityVolumes() {
        return buildVolumes();
    }

    /** The CA service for the xDS address {@code xds}: its host, on 15012. */
    public static String caAddress(String xds) {
        return xds.substring(0, xds.lastIndexOf(':')) + ":" + MeshNames.XDS_TLS_PORT;
    }

    private static List<Volume> buildVolumes() {
        return List.of(
                new VolumeBuilder().withName(MeshNames.TOKEN_VOLUME).withNewProjected().addNewSource()
                        .withNewServiceAccountToken().withAudience(MeshNames.TOKEN_AUDIENCE)
                        .withExpirationSeconds(43200L).withPath(TOKEN_FILE).endServiceAccountToken()
                        .endSource().endProjected().build(),
                // optional: pods start (plaintext) before the control plane has written the ConfigMap.
                new VolumeBuilder().withName(MeshNames.ROOT_CERT_VOLUME).withNewConfigMap()
                        .withName(MeshNames.ROOT_CERT_CONFIGMAP).withOptional(true).endConfigMap().build(),
                new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build());
    }

    /** The arguments of {@code mesh proxy} in the pod (the image's entry point is {@code mesh}). */
    List<String> proxyArgs() {
        return List.of("proxy",
                // xDS over TLS on the CA's port, authenticated with the token below: the control plane serves
                // this pod only its own workload's config.
                "--xds", caAddress(),
                "--workload", "$(POD_NAME)",
                "--namespace", "$(POD_NAMESPACE)",
                "--service-account", "$(SERVICE_ACCOUNT)",
                // Listeners, health (kubelet) and metrics (Prometheus) on the pod's interfaces; admin
                // (config dump, drain, quit) on loopback only, as Istio binds Envoy's.
                "--bind-address", "0.0.0.0",
                "--admin-bind-address", "127.0.0.1",
                "--outbound-port", String.valueOf(MeshNames.OUTBOUND_PORT),
                "--inbound-port", String.valueOf(MeshNames.INBOUND_PORT),
                "--admin-port", String.valueOf(MeshNames.ADMIN_PORT),
                "--health-port", String.valueOf(MeshNames.HEALTH_PORT),
                "--metrics-port", String.valueOf(MeshNames.METRICS_PORT),
                // Its identity: the projected ServiceAccount token (audience meshwork-ca) proves it to the CA on
                // 15012 of the control plane's host, which it trusts through the root certificate ConfigMap the
                // control plane publishes in every namespace.
                "--token-file", TOKEN_PATH + "/" + TOKEN_FILE,
                "--ca-address", caAddress(),
                "--ca-root-file", ROOT_CERT_PATH + "/" + ROOT_CERT_FILE);
    }

    /** The CA service: the xDS address's host, on 15012. */
    private String caAddress() {
        return caAddress(config.xdsAddress());
    }

    private static Probe readiness(int periodSeconds, int failureThreshold) {
        return new ProbeBuilder().withNewHttpGet().withPath("/healthz/ready")
                .withPort(new IntOrString(MeshNames.HEALTH_PORT)).withScheme("HTTP").endHttpGet()
                .withPeriodSeconds(periodSeconds).withTimeoutSeconds(3).withFailureThreshold(failureThreshold)
                .build();
    }

    private static String waitForReadiness() {
        // busybox wget is in the proxy image; two minutes, then the hook fails and the kubelet restarts it.
        return "for i in $(seq 1 240); do wget -q -O /dev/null http://127.0.0.1:" + MeshNames.HEALTH_PORT
                + "/healthz/ready && exit 0; sleep 0.5; done; echo 'mesh-proxy not ready after 120s' >&2; exit 1";
    }

    private static EnvVar fieldEnv(String name, String fieldPath) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef()
                .withApiVersion("v1").withFieldPath(fieldPath).endFieldRef().endValueFrom().build();
    }

    private static void resource(String name, String defaultRequest, String defaultLimit, String annotated,
            String annotation, Map<String, Quantity> requests, Map<String, Quantity> limits, List<String> warnings) {
        Quantity request = new Quantity(defaultRequest);
        Quantity limit = new Quantity(defaultLimit);
        if (annotated != null) {
            try {
                Quantity wanted = new Quantity(annotated.trim());
                wanted.getNumericalAmount(); // parses it: a typo must not produce an invalid pod
                request = wanted;
                if (wanted.getNumericalAmount().compareTo(limit.getNumericalAmount()) > 0) {
                    limit = wanted; // a request above the limit would make the pod invalid
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                warnings.add("annotation " + annotation + ": \"" + annotated + "\" is not a quantity; using "
                        + defaultRequest);
            }
        }
        requests.put(name, request);
        limits.put(name, limit);
    }

    private static TreeSet<Integer> ports(Map<String, String> annotations, String annotation) {
        TreeSet<Integer> ports = new TreeSet<>();
        String value = annotations.get(annotation);
        if (value == null || value.isBlank()) {
            return ports;
        }
        for (String part : value.split(",")) {
            String port = part.trim();
            if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535 || Integer.parseInt(port) == 0) {
                throw new InjectionException("annotation " + annotation + ": \"" + port + "\" is not a port (1-65535)");
            }
            ports.add(Integer.parseInt(port));
        }
        return ports;
    }

    private static String cidrs(Map<String, String> annotations, String annotation) {
        String value = annotations.get(annotation);
        if (value == null || value.isBlank()) {
            return "";
        }
        if (value.trim().equals("*")) {
            return "*";
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .peek(cidr -> {
                    if (!io.meshwork.injector.iptables.CaptureConfig.isCidr(cidr)) {
                        throw new InjectionException("annotation " + annotation + ": \"" + cidr
                                + "\" is not an IPv4 CIDR like 10.0.0.0/8");
                    }
                })
                .collect(Collectors.joining(","));
    }

    private static String join(java.util.Collection<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static void addIfPresent(List<String> args, String flag, String value) {
        if (!value.isEmpty()) {
            args.add(flag);
            args.add(value);
        }
    }
}
