package io.meshwork.injector;

/** The labels, annotations, container names and ports that users and the other parts rely on (DESIGN.md). */
public final class MeshNames {

    public static final String NAMESPACE_INJECTION_LABEL = "mesh-injection";
    public static final String NAMESPACE_INJECTION_ENABLED = "enabled";
    public static final String REVISION_LABEL = "meshwork.io/rev";
    /** On every control plane pod, of every revision (each revision's pods are also {@code app=<its deployment>}). */
    public static final String COMPONENT_LABEL = "meshwork.io/component";
    public static final String CONTROL_PLANE_COMPONENT = "control-plane";

    public static final String INJECT = "meshwork.io/inject";
    public static final String STATUS = "meshwork.io/status";
    public static final String EXCLUDE_INBOUND_PORTS = "meshwork.io/exclude-inbound-ports";
    public static final String EXCLUDE_OUTBOUND_PORTS = "meshwork.io/exclude-outbound-ports";
    public static final String EXCLUDE_OUTBOUND_IP_RANGES = "meshwork.io/exclude-outbound-ip-ranges";
    public static final String INCLUDE_OUTBOUND_IP_RANGES = "meshwork.io/include-outbound-ip-ranges";
    public static final String PROXY_CPU = "meshwork.io/proxy-cpu";
    public static final String PROXY_MEMORY = "meshwork.io/proxy-memory";

    public static final String PROXY_CONTAINER = "mesh-proxy";
    public static final String INIT_CONTAINER = "mesh-init";
    public static final String TOKEN_VOLUME = "meshwork-token";
    public static final String ROOT_CERT_VOLUME = "meshwork-ca-root-cert";
    public static final String ROOT_CERT_CONFIGMAP = "meshwork-ca-root-cert";
    public static final String TOKEN_AUDIENCE = "meshwork-ca";
    /** The sidecar's environment variable holding the app's original probes, as Istio's ISTIO_KUBE_APP_PROBERS. */
    public static final String APP_PROBERS_ENV = "MESH_KUBE_APP_PROBERS";

    public static final int OUTBOUND_PORT = 15001;
    public static final int INBOUND_PORT = 15006;
    public static final int ADMIN_PORT = 15000;
    public static final int HEALTH_PORT = 15021;
    public static final int METRICS_PORT = 15090;
    public static final int XDS_PLAINTEXT_PORT = 15010;
    public static final int XDS_TLS_PORT = 15012;
    public static final int MONITORING_PORT = 15014;
    public static final int WEBHOOK_PORT = 15017;
    public static final long PROXY_UID = 1337;
    public static final long PROXY_GID = 1337;

    public static final String SYSTEM_NAMESPACE = "meshwork-system";

    private MeshNames() {
    }
}
