package io.meshwork.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.tls.ServerCertificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The client side of the SotW ADS protocol, without I/O: takes each DiscoveryResponse, validates
 * it, answers with the ACK/NACK and subscription requests to send, and assembles a ProxyConfig only
 * when the accepted set is complete (clusters with endpoints, listeners with routes).
 * Not thread-safe: the ADS stream calls it from one thread at a time.
 */
public final class XdsState {

    private final Node node;
    private final Map<ResourceType, TypeState> types = new EnumMap<>(ResourceType.class);

    public XdsState(Node node) {
        this.node = node;
        for (ResourceType type : ResourceType.values()) {
            types.put(type, new TypeState());
        }
    }

    /** The outcome of one response: requests to send, and the new config if one is now complete. */
    public record Outcome(List<DiscoveryRequest> requests, Optional<ProxyConfig> config, Optional<String> rejection) {
    }

    /** Requests that open (or re-open, after a reconnect) a stream: current versions and names, no nonces. */
    public List<DiscoveryRequest> initialRequests() {
        List<DiscoveryRequest> requests = new ArrayList<>();
        for (ResourceType type : ResourceType.values()) {
            TypeState state = types.get(type);
            state.nonce = "";
            if (type.wildcard() || !state.names.isEmpty()) {
                requests.add(request(type, state, null));
            }
        }
        return requests;
    }

    public Outcome onResponse(DiscoveryResponse response) {
        ResourceType type = ResourceType.ofTypeUrl(response.getTypeUrl());
        List<DiscoveryRequest> requests = new ArrayList<>();
        if (type == null) {
            return new Outcome(requests, Optional.empty(), Optional.empty());
        }
        TypeState state = types.get(type);
        state.nonce = response.getNonce();
        Map<String, Object> decoded;
        Map<String, Any> raw = new LinkedHashMap<>();
        try {
            decoded = decode(type, response.getResourcesList(), raw);
        } catch (InvalidResourceException e) {
            requests.add(request(type, state, e.getMessage()));
            return new Outcome(requests, Optional.empty(), Optional.of(e.getMessage()));
        }
        if (type.wildcard()) {
            state.accepted = decoded;
            state.raw = raw;
        } else {
            // RDS and EDS answers may be partial: keep what is still subscribed, replace what came.
            Map<String, Object> merged = new LinkedHashMap<>(state.accepted);
            merged.putAll(decoded);
            merged.keySet().retainAll(state.names);
            state.accepted = merged;
            Map<String, Any> mergedRaw = new LinkedHashMap<>(state.raw);
            mergedRaw.putAll(raw);
            mergedRaw.keySet().retainAll(state.names);
            state.raw = mergedRaw;
        }
        state.version = response.getVersionInfo();
        state.received = true;
        requests.add(request(type, state, null));
        if (type == ResourceType.CLUSTER) {
            resubscribe(ResourceType.ENDPOINT, edsNames(), requests);
            resubscribe(ResourceType.SECRET, sdsNames(), requests);
        } else if (type == ResourceType.LISTENER) {
            resubscribe(ResourceType.ROUTE, rdsNames(), requests);
            resubscribe(ResourceType.SECRET, sdsNames(), requests);
        }
        return new Outcome(requests, assemble(), Optional.empty());
    }

    private void resubscribe(ResourceType type, TreeSet<String> names, List<DiscoveryRequest> requests) {
        TypeState state = types.get(type);
        if (!names.equals(state.names)) {
            state.names = names;
            state.accepted.keySet().retainAll(names);
            state.raw.keySet().retainAll(names);
            requests.add(request(type, state, null));
        }
    }

    private TreeSet<String> edsNames() {
        TreeSet<String> names = new TreeSet<>();
        for (Object value : types.get(ResourceType.CLUSTER).accepted.values()) {
            ClusterConfig cluster = (ClusterConfig) value;
            if (cluster.usesEds()) {
                names.add(cluster.edsServiceName());
            }
        }
        return names;
    }

    private TreeSet<String> rdsNames() {
        TreeSet<String> names = new TreeSet<>();
        for (Object value : types.get(ResourceType.LISTENER).accepted.values()) {
            for (ListenerConfig.FilterChain chain : ((ListenerConfig) value).filterChains()) {
                if (chain.filter() instanceof ListenerConfig.HttpFilter http && http.rdsName() != null) {
                    names.add(http.rdsName());
                }
            }
        }
        return names;
    }

    /** The SDS secrets (roots, and a gateway's certificates) the TLS of accepted clusters and listeners names. */
    private TreeSet<String> sdsNames() {
        TreeSet<String> names = new TreeSet<>();
        for (Object value : types.get(ResourceType.CLUSTER).accepted.values()) {
            ((ClusterConfig) value).rootsSecrets().forEach(names::add);
        }
        for (Object value : types.get(ResourceType.LISTENER).accepted.values()) {
            for (ListenerConfig.FilterChain chain : ((ListenerConfig) value).filterChains()) {
                if (chain.tls() != null && chain.tls().rootsSecret() != null) {
                    names.add(chain.tls().rootsSecret());
                }
                if (chain.tls() != null) {
                    names.addAll(chain.tls().certificateSecrets());
                }
            }
        }
        return names;
    }

    /** A ProxyConfig when every cluster has its endpoints and every listener its routes, else empty. */
    private Optional<ProxyConfig> assemble() {
        TypeState clusters = types.get(ResourceType.CLUSTER);
        TypeState endpoints = types.get(ResourceType.ENDPOINT);
        TypeState listeners = types.get(ResourceType.LISTENER);
        TypeState routes = types.get(ResourceType.ROUTE);
        TypeState secrets = types.get(ResourceType.SECRET);
        if (!clusters.received || !listeners.received) {
            return Optional.empty();
        }
        if (!endpoints.accepted.keySet().containsAll(edsNames()) || !routes.accepted.keySet().containsAll(rdsNames())
                || !secrets.accepted.keySet().containsAll(sdsNames())) {
            return Optional.empty();
        }
        Map<String, ClusterConfig> joined = new LinkedHashMap<>();
        for (Object value : clusters.accepted.values()) {
            ClusterConfig cluster = (ClusterConfig) value;
            if (cluster.usesEds()) {
                @SuppressWarnings("unchecked")
                List<EndpointConfig> assigned = (List<EndpointConfig>) endpoints.accepted.get(cluster.edsServiceName());
                cluster = cluster.withEndpoints(assigned);
            }
            joined.put(cluster.name(), cluster);
        }
        Map<String, ListenerConfig> listenerMap = new LinkedHashMap<>();
        listeners.accepted.forEach((name, value) -> listenerMap.put(name, (ListenerConfig) value));
        Map<String, RouteTable> routeMap = new LinkedHashMap<>();
        routes.accepted.forEach((name, value) -> routeMap.put(name, (RouteTable) value));
        Map<String, String> versions = new LinkedHashMap<>();
        types.forEach((type, state) -> versions.put(type.typeUrl(), state.version));
        Map<String, List<X509Certificate>> roots = new LinkedHashMap<>();
        Map<String, ServerCertificate> certificates = new LinkedHashMap<>();
        secrets.accepted.forEach((name, value) -> {
            if (value instanceof ServerCertificate certificate) {
                certificates.put(name, certificate);
                return;
            }
            @SuppressWarnings("unchecked")
            List<X509Certificate> bundle = (List<X509Certificate>) value;
            roots.put(name, bundle);
        });
        Map<ResourceType, Map<String, Any>> resources = new EnumMap<>(ResourceType.class);
        types.forEach((type, state) -> resources.put(type, state.raw));
        return Optional.of(new ProxyConfig(listenerMap, routeMap, joined, versions, roots, resources, certificates));
    }

    private DiscoveryRequest request(ResourceType type, TypeState state, String errorDetail) {
        DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                .setNode(node)
                .setTypeUrl(type.typeUrl())
                .setVersionInfo(state.version)
                .setResponseNonce(state.nonce);
        if (!type.wildcard()) {
            request.addAllResourceNames(state.names);
        }
        if (errorDetail != null) {
            request.setErrorDetail(com.google.rpc.Status.newBuilder()
                    .setCode(io.grpc.Status.Code.INVALID_ARGUMENT.value())
                    .setMessage(errorDetail));
        }
        return request.build();
    }

    /** The config objects of {@code resources} by name; {@code raw} gets each resource as it came, by the same name. */
    private static Map<String, Object> decode(ResourceType type, List<Any> resources, Map<String, Any> raw)
            throws InvalidResourceException {
        Map<String, Object> decoded = new LinkedHashMap<>();
        for (Any any : resources) {
            String name;
            Object value;
            try {
                switch (type) {
                    case CLUSTER -> {
                        ClusterConfig cluster = ResourceConverter.cluster(any.unpack(Cluster.class));
                        name = cluster.name();
                        value = cluster;
                    }
                    case ENDPOINT -> {
                        ClusterLoadAssignment assignment = any.unpack(ClusterLoadAssignment.class);
                        name = assignment.getClusterName();
                        value = ResourceConverter.endpoints(assignment);
                    }
                    case LISTENER -> {
                        ListenerConfig listener = ResourceConverter.listener(any.unpack(Listener.class));
                        name = listener.name();
                        value = listener;
                    }
                    case ROUTE -> {
                        RouteTable table = ResourceConverter.routeTable(any.unpack(RouteConfiguration.class));
                        name = table.name();
                        value = table;
                    }
                    case SECRET -> {
                        Secret secret = any.unpack(Secret.class);
                        name = secret.getName();
                        value = secret.hasTlsCertificate() ? GatewayTls.certificate(secret)
                                : ResourceConverter.trustedRoots(secret);
                    }
                    default -> throw new InvalidResourceException("unexpected resource type " + type);
                }
            } catch (InvalidProtocolBufferException e) {
                throw new InvalidResourceException(type.name() + " resource of type " + any.getTypeUrl()
                        + ": cannot decode: " + e.getMessage());
            }
            decoded.put(name, value);
            raw.put(name, any);
        }
        return decoded;
    }

    /** Per type URL: the accepted resources and version, the last nonce, the subscribed names. */
    private static final class TypeState {
        Map<String, Object> accepted = new LinkedHashMap<>();
        /** The accepted resources as they came, for the admin's Envoy-format config dump. */
        Map<String, Any> raw = new LinkedHashMap<>();
        String version = "";
        String nonce = "";
        TreeSet<String> names = new TreeSet<>();
        boolean received;
    }
}
