package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.List;

/** The resource names and fixed ports of the xDS contract in ARCHITECTURE.md, in one place. */
public final class ResourceNames {

    public static final String OUTBOUND = "outbound";
    public static final String INBOUND = "inbound";
    public static final int OUTBOUND_PORT = 15001;
    public static final int INBOUND_PORT = 15006;
    /** The {@code filter_metadata} key of cluster and endpoint metadata. */
    public static final String METADATA_KEY = "meshwork.io";
    public static final String ROUTER_FILTER = "envoy.filters.http.router";
    public static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";
    public static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
    public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private ResourceNames() {
    }

    /** {@code outbound|<port>||<svc>.<ns>.svc.cluster.local}: the cluster (and its load assignment) of a service port. */
    public static String outboundCluster(ObjectRef service, int port) {
        return "outbound|" + port + "||" + service.serviceFqdn();
    }

    /** {@code inbound|<appPort>||}: the loopback cluster of a meshed workload's application port. */
    public static String inboundCluster(int appPort) {
        return "inbound|" + appPort + "||";
    }

    /** {@code inbound|<port>}: a meshed workload's inbound listener and its inline route config. */
    public static String inboundListener(int port) {
        return "inbound|" + port;
    }

    /**
     * The {@code server_listener_resource_name_template} a proxyless gRPC server's bootstrap must carry
     * (gRFC A36's example): grpc-java's XdsServerBuilder asks for the Listener named by it with {@code %s}
     * = the address it binds, {@code <ip>:<port>}.
     */
    public static final String PROXYLESS_SERVER_LISTENER_TEMPLATE = "grpc/server?xds.resource.listening_address=%s";

    /** The Listener a proxyless gRPC server bound to {@code address:port} asks for. */
    public static String proxylessServerListener(String address, int port) {
        String host = address.contains(":") ? "[" + address + "]" : address;
        return PROXYLESS_SERVER_LISTENER_TEMPLATE.replace("%s", host + ":" + port);
    }

    /** {@code 0.0.0.0_<port>}: a gateway's Listener on one port, as Istio names its gateways' listeners. */
    public static String gatewayListener(int port) {
        return "0.0.0.0_" + port;
    }

    /** {@code http.<port>}: the RouteConfiguration of a gateway's listeners on one port (HTTP or HTTPS), as Istio's. */
    public static String gatewayRoutes(int port) {
        return "http." + port;
    }

    /** {@code <namespace>/<name>}: the SDS Secret of a gateway listener's certificate, served to that gateway only. */
    public static String gatewayCertificate(ObjectRef secret) {
        return secret.namespace() + "/" + secret.name();
    }

    /** {@code <svc>.<ns>.svc.cluster.local:<port>}: a virtual host, and a proxyless client's route config. */
    public static String serviceHostPort(ObjectRef service, int port) {
        return service.serviceFqdn() + ":" + port;
    }

    /**
     * The host names a client may use for {@code service}, longest first: {@code <svc>.<ns>.svc.cluster.local},
     * {@code <svc>.<ns>.svc}, {@code <svc>.<ns>} and, from the same namespace, {@code <svc>}.
     */
    public static List<String> hostNames(ObjectRef service, String clientNamespace) {
        List<String> names = new ArrayList<>(List.of(
                service.serviceFqdn(),
                service.name() + "." + service.namespace() + ".svc",
                service.name() + "." + service.namespace()));
        if (service.namespace().equals(clientNamespace)) {
            names.add(service.name());
        }
        return names;
    }

    /** The api_listener names of a proxyless client for one service port: the host names without {@code .svc}. */
    public static List<String> apiListeners(ObjectRef service, int port, String clientNamespace) {
        List<String> names = new ArrayList<>();
        names.add(service.serviceFqdn() + ":" + port);
        names.add(service.name() + "." + service.namespace() + ":" + port);
        if (service.namespace().equals(clientNamespace)) {
            names.add(service.name() + ":" + port);
        }
        return names;
    }
}
