package io.meshwork.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.meshwork.certs.Pem;
import io.meshwork.proxy.filter.HttpFilterChain;
import io.meshwork.proxy.filter.rbac.Rbac;
import io.meshwork.proxy.tls.DownstreamTls;
import io.meshwork.proxy.tls.UpstreamTls;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.RouteFilters;
import io.meshwork.proxy.route.RouteMatch;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.route.VirtualHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates Envoy v3 resources and turns them into the sidecar's config records. Every error names
 * the resource and the field, because it becomes the NACK's error_detail.
 */
public final class ResourceConverter {

    static final String MESH_METADATA = "meshwork.io";
    static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
    static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";
    /** The SDS name of the proxy's own certificate, served by its local agent (here: the sidecar itself). */
    static final String WORKLOAD_SECRET = "default";
    /** Istio turns Envoy's 15 s default route timeout off, so long gRPC streams are not cut; so do we. */
    private static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ZERO;
    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private ResourceConverter() {
    }

    public static ListenerConfig listener(Listener listener) throws InvalidResourceException {
        String where = "Listener " + quoted(listener.getName());
        if (listener.getName().isEmpty()) {
            throw new InvalidResourceException("Listener: field name is empty");
        }
        if (!listener.getAddress().hasSocketAddress()) {
            throw new InvalidResourceException(where + ": field address.socket_address is missing");
        }
        SocketAddress address = listener.getAddress().getSocketAddress();
        int port = address.getPortValue();
        if (port < 0 || port > 65535) {
            throw new InvalidResourceException(where + ": field address.socket_address.port_value " + port
                    + " is not a port");
        }
        List<ListenerConfig.FilterChain> chains = new ArrayList<>();
        for (int i = 0; i < listener.getFilterChainsCount(); i++) {
            chains.add(filterChain(listener.getFilterChains(i), where + ": field filter_chains[" + i + "]")
                    .withServerNames(listener.getFilterChains(i).getFilterChainMatch().getServerNamesList()));
        }
        if (listener.hasDefaultFilterChain()) {
            ListenerConfig.FilterChain chain = filterChain(listener.getDefaultFilterChain(),
                    where + ": field default_filter_chain");
            chains.add(new ListenerConfig.FilterChain(null, chain.transportProtocol(), chain.tls(), chain.networkRbac(),
                    chain.filter()));
        }
        if (chains.isEmpty()) {
            throw new InvalidResourceException(where + ": field filter_chains is empty");
        }
        boolean tlsInspector = listener.getListenerFiltersList().stream().anyMatch(f ->
                f.getName().equals(TLS_INSPECTOR) || f.getTypedConfig().getTypeUrl().endsWith(".TlsInspector"));
        return new ListenerConfig(listener.getName(), address.getAddress(), port, chains, tlsInspector,
                ConnectionPolicies.of(listener, where));
    }

    private static ListenerConfig.FilterChain filterChain(FilterChain chain, String where)
            throws InvalidResourceException {
        Integer destinationPort = chain.getFilterChainMatch().hasDestinationPort()
                ? chain.getFilterChainMatch().getDestinationPort().getValue() : null;
        String transport = chain.getFilterChainMatch().getTransportProtocol();
        if (!transport.isEmpty() && !transport.equals(ListenerConfig.TLS) && !transport.equals(ListenerConfig.RAW_BUFFER)) {
            throw new InvalidResourceException(where + ".filter_chain_match.transport_protocol \"" + transport
                    + "\" is not supported (tls, raw_buffer)");
        }
        String transportProtocol = transport.isEmpty() ? null : transport;
        DownstreamTls tls = chain.hasTransportSocket()
                ? downstreamTls(chain.getTransportSocket(), where + ".transport_socket") : null;
        if (chain.getFiltersCount() == 0) {
            throw new InvalidResourceException(where + ".filters is empty");
        }
        int last = chain.getFiltersCount() - 1;
        Rbac networkRbac = null;
        for (int i = 0; i < last; i++) {
            Filter before = chain.getFilters(i);
            String beforeField = where + ".filters[" + i + "]";
            if (before.getTypedConfig().is(ConnectionLimit.class)) {
                continue; // the listener's connection limit (ConnectionPolicies)
            }
            if (!before.getTypedConfig().is(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)) {
                throw new InvalidResourceException(beforeField + ".typed_config has unsupported type "
                        + before.getTypedConfig().getTypeUrl() + " (only envoy.filters.network.connection_limit and "
                        + "envoy.filters.network.rbac may come before the terminal filter)");
            }
            networkRbac = RbacConverter.rbac(unpack(before.getTypedConfig(),
                    io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class, beforeField).getRules(),
                    beforeField + ".typed_config(RBAC).rules");
        }
        Filter filter = chain.getFilters(last);
        String field = where + ".filters[" + last + "]";
        if (!filter.hasTypedConfig()) {
            throw new InvalidResourceException(field + ".typed_config is missing");
        }
        Any config = filter.getTypedConfig();
        if (config.is(HttpConnectionManager.class)) {
            return new ListenerConfig.FilterChain(destinationPort, transportProtocol, tls, networkRbac,
                    httpFilter(unpack(config, HttpConnectionManager.class, field), field));
        }
        if (config.is(TcpProxy.class)) {
            TcpProxy tcp = unpack(config, TcpProxy.class, field);
            if (tcp.getCluster().isEmpty()) {
                throw new InvalidResourceException(field + ".typed_config(TcpProxy).cluster is empty");
            }
            return new ListenerConfig.FilterChain(destinationPort, transportProtocol, tls, networkRbac,
                    new ListenerConfig.TcpProxy(tcp.getCluster()));
        }
        throw new InvalidResourceException(field + ".typed_config has unsupported type " + config.getTypeUrl());
    }

    private static ListenerConfig.HttpFilter httpFilter(HttpConnectionManager hcm, String field)
            throws InvalidResourceException {
        String where = field + ".typed_config(HttpConnectionManager)";
        List<HttpFilter> filters = hcm.getHttpFiltersList();
        if (!filters.isEmpty() && !isRouter(filters.get(filters.size() - 1))) {
            throw new InvalidResourceException(where + ".http_filters does not end with envoy.filters.http.router");
        }
        List<io.meshwork.proxy.filter.HttpFilter> chain = new ArrayList<>();
        List<io.meshwork.proxy.filter.RouteFilter> routeFilters = new ArrayList<>();
        for (int i = 0; i < filters.size() - 1; i++) {
            String filterField = where + ".http_filters[" + i + "]";
            if (FilterSettings.isFault(filters.get(i))) {
                routeFilters.add(FilterSettings.faultFilter(filters.get(i), hcm.getStatPrefix(), filterField));
            } else if (FilterSettings.isLocalRateLimit(filters.get(i))) {
                var limit = FilterSettings.localRateLimit(filters.get(i), hcm.getStatPrefix(), filterField);
                if (limit != null) {
                    chain.add(limit);
                }
            } else {
                chain.add(RbacConverter.httpFilter(filters.get(i), filterField));
            }
        }
        HttpFilterChain filterChain = new HttpFilterChain(chain, routeFilters);
        if (hcm.hasRds()) {
            String name = hcm.getRds().getRouteConfigName();
            if (name.isEmpty()) {
                throw new InvalidResourceException(where + ".rds.route_config_name is empty");
            }
            if (!hcm.getRds().getConfigSource().hasAds()) {
                throw new InvalidResourceException(where + ".rds.config_source is not ads");
            }
            return new ListenerConfig.HttpFilter(name, null, filterChain);
        }
        if (hcm.hasRouteConfig()) {
            return new ListenerConfig.HttpFilter(null, routeTable(hcm.getRouteConfig(), where + ".route_config"),
                    filterChain);
        }
        throw new InvalidResourceException(where + ": neither rds nor route_config is set");
    }

    private static boolean isRouter(HttpFilter filter) {
        return filter.getName().equals("envoy.filters.http.router")
                || filter.getTypedConfig().getTypeUrl().endsWith("envoy.extensions.filters.http.router.v3.Router");
    }

    public static RouteTable routeTable(RouteConfiguration config) throws InvalidResourceException {
        if (config.getName().isEmpty()) {
            throw new InvalidResourceException("RouteConfiguration: field name is empty");
        }
        return routeTable(config, "RouteConfiguration " + quoted(config.getName()) + ":");
    }

    private static RouteTable routeTable(RouteConfiguration config, String where) throws InvalidResourceException {
        List<VirtualHost> hosts = new ArrayList<>();
        for (int v = 0; v < config.getVirtualHostsCount(); v++) {
            var vhost = config.getVirtualHosts(v);
            String vfield = where + " field virtual_hosts[" + v + "]";
            if (vhost.getDomainsCount() == 0) {
                throw new InvalidResourceException(vfield + ".domains is empty (virtual host "
                        + quoted(vhost.getName()) + ")");
            }
            if (vhost.getTypedPerFilterConfigCount() > 0) {
                throw new InvalidResourceException(vfield + ".typed_per_filter_config is not supported (give it on "
                        + "each route)");
            }
            List<Route> routes = new ArrayList<>();
            for (int r = 0; r < vhost.getRoutesCount(); r++) {
                routes.add(route(vhost.getRoutes(r), vfield + ".routes[" + r + "]"));
            }
            hosts.add(new VirtualHost(vhost.getName(), vhost.getDomainsList(), routes));
        }
        return new RouteTable(config.getName(), hosts);
    }

    private static Route route(io.envoyproxy.envoy.config.route.v3.Route route, String where)
            throws InvalidResourceException {
        var match = route.getMatch();
        RouteMatch.PathKind kind;
        String path = null;
        Pattern regex = null;
        switch (match.getPathSpecifierCase()) {
            case PREFIX -> {
                kind = RouteMatch.PathKind.PREFIX;
                path = match.getPrefix();
            }
            case PATH -> {
                kind = RouteMatch.PathKind.EXACT;
                path = match.getPath();
            }
            case SAFE_REGEX -> {
                kind = RouteMatch.PathKind.REGEX;
                regex = regex(match.getSafeRegex().getRegex(), where + ".match.safe_regex.regex");
            }
            case PATH_SEPARATED_PREFIX -> {
                kind = RouteMatch.PathKind.PATH_SEPARATED_PREFIX;
                path = match.getPathSeparatedPrefix();
                if (!path.startsWith("/") || path.endsWith("/") || path.contains("?")) {
                    throw new InvalidResourceException(where + ".match.path_separated_prefix " + quoted(path)
                            + " must start with / and contain neither a trailing / nor ?");
                }
            }
            default -> throw new InvalidResourceException(where + ".match has no supported path specifier ("
                    + match.getPathSpecifierCase() + ")");
        }
        List<RouteMatch.HeaderMatch> headers = new ArrayList<>();
        for (int h = 0; h < match.getHeadersCount(); h++) {
            headers.add(header(match.getHeaders(h), where + ".match.headers[" + h + "]"));
        }
        List<RouteMatch.QueryParameterMatch> queryParameters = new ArrayList<>();
        for (int q = 0; q < match.getQueryParametersCount(); q++) {
            queryParameters.add(queryParameter(match.getQueryParameters(q), where + ".match.query_parameters[" + q + "]"));
        }
        RouteMatch routeMatch = new RouteMatch(kind, path, regex, headers, queryParameters);
        if (route.hasRedirect()) {
            return new Route(routeMatch, List.of(), Duration.ZERO, null, null, Route.DEFAULT_CLUSTER_NOT_FOUND_STATUS,
                    RouteFilters.NONE, RouteFilterSettings.redirect(route.getRedirect(), where), null,
                    FilterSettings.perFilterConfigs(route.getTypedPerFilterConfigMap(), where));
        }
        if (!route.hasRoute()) {
            throw new InvalidResourceException(where + " has neither route nor redirect (direct_response and the others "
                    + "are not supported)");
        }
        RouteAction action = route.getRoute();
        List<Route.WeightedCluster> clusters = new ArrayList<>();
        switch (action.getClusterSpecifierCase()) {
            case CLUSTER -> clusters.add(new Route.WeightedCluster(action.getCluster(), 1));
            case WEIGHTED_CLUSTERS -> {
                List<WeightedCluster.ClusterWeight> weights = action.getWeightedClusters().getClustersList();
                long total = 0;
                for (int c = 0; c < weights.size(); c++) {
                    WeightedCluster.ClusterWeight weight = weights.get(c);
                    if (weight.getName().isEmpty()) {
                        throw new InvalidResourceException(where + ".route.weighted_clusters.clusters[" + c
                                + "].name is empty");
                    }
                    total += weight.getWeight().getValue();
                    if (weight.getWeight().getValue() > 0) {
                        String field = where + ".route.weighted_clusters.clusters[" + c + "]";
                        clusters.add(new Route.WeightedCluster(weight.getName(), weight.getWeight().getValue(),
                                RouteFilterSettings.headers(weight.getRequestHeadersToAddList(),
                                        weight.getRequestHeadersToRemoveList(), field + ".request_headers"),
                                RouteFilterSettings.headers(weight.getResponseHeadersToAddList(),
                                        weight.getResponseHeadersToRemoveList(), field + ".response_headers")));
                    }
                }
                if (total == 0) {
                    throw new InvalidResourceException(where + ".route.weighted_clusters: the weights add up to 0");
                }
            }
            default -> throw new InvalidResourceException(where + ".route has no cluster or weighted_clusters");
        }
        if (clusters.stream().anyMatch(c -> c.cluster().isEmpty())) {
            throw new InvalidResourceException(where + ".route.cluster is empty");
        }
        Duration timeout = action.hasTimeout()
                ? Duration.ofSeconds(action.getTimeout().getSeconds(), action.getTimeout().getNanos())
                : DEFAULT_ROUTE_TIMEOUT;
        if (timeout.isNegative()) {
            throw new InvalidResourceException(where + ".route.timeout is negative");
        }
        io.meshwork.proxy.route.retry.RetryPolicy retry = action.hasRetryPolicy()
                ? RetrySettings.retryPolicy(action.getRetryPolicy(), where + ".route") : null;
        Duration idle = action.hasIdleTimeout()
                ? ConnectionPolicies.duration(action.getIdleTimeout(), where + ".route.idle_timeout") : null;
        int clusterNotFound = switch (action.getClusterNotFoundResponseCode()) {
            case SERVICE_UNAVAILABLE -> Route.DEFAULT_CLUSTER_NOT_FOUND_STATUS;
            case NOT_FOUND -> 404;
            case INTERNAL_SERVER_ERROR -> 500;
            default -> throw new InvalidResourceException(where + ".route.cluster_not_found_response_code "
                    + action.getClusterNotFoundResponseCodeValue() + " is not a code Envoy knows");
        };
        return new Route(routeMatch, clusters, timeout, retry, idle, clusterNotFound,
                RouteFilterSettings.filters(route, where), null, streamDuration(action, where),
                FilterSettings.perFilterConfigs(route.getTypedPerFilterConfigMap(), where));
    }

    /**
     * A route's {@code max_stream_duration} (its {@code grpc_timeout_header_offset} is NACKed: the sidecar does not
     * shorten a deadline), or null when it has none.
     */
    private static io.meshwork.proxy.route.StreamDuration streamDuration(RouteAction action, String where)
            throws InvalidResourceException {
        if (!action.hasMaxStreamDuration()) {
            return null;
        }
        RouteAction.MaxStreamDuration msd = action.getMaxStreamDuration();
        String field = where + ".route.max_stream_duration.";
        if (msd.hasGrpcTimeoutHeaderOffset()) {
            throw new InvalidResourceException(field + "grpc_timeout_header_offset is not supported");
        }
        Duration max = msd.hasMaxStreamDuration()
                ? ConnectionPolicies.duration(msd.getMaxStreamDuration(), field + "max_stream_duration") : Duration.ZERO;
        Duration header = msd.hasGrpcTimeoutHeaderMax()
                ? ConnectionPolicies.duration(msd.getGrpcTimeoutHeaderMax(), field + "grpc_timeout_header_max") : null;
        return new io.meshwork.proxy.route.StreamDuration(max, header);
    }

    private static RouteMatch.QueryParameterMatch queryParameter(QueryParameterMatcher matcher, String where)
            throws InvalidResourceException {
        if (matcher.getName().isEmpty()) {
            throw new InvalidResourceException(where + ".name is empty");
        }
        if (matcher.hasPresentMatch()) {
            if (!matcher.getPresentMatch()) {
                throw new InvalidResourceException(where + ".present_match false is not supported");
            }
            return new RouteMatch.QueryParameterMatch(matcher.getName(), RouteMatch.HeaderMatch.Kind.PRESENT, null, null);
        }
        if (!matcher.hasStringMatch()) {
            throw new InvalidResourceException(where + " has neither string_match nor present_match");
        }
        StringMatcher string = matcher.getStringMatch();
        if (string.getIgnoreCase()) {
            throw new InvalidResourceException(where + ".string_match.ignore_case is not supported");
        }
        RouteMatch.HeaderMatch rule = stringMatch(matcher.getName(), string, false, where + ".string_match");
        return new RouteMatch.QueryParameterMatch(rule.name(), rule.kind(), rule.value(), rule.regex());
    }

    @SuppressWarnings("deprecation")
    static RouteMatch.HeaderMatch header(HeaderMatcher header, String where) throws InvalidResourceException {
        if (header.getName().isEmpty()) {
            throw new InvalidResourceException(where + ".name is empty");
        }
        String name = header.getName().toLowerCase(java.util.Locale.ROOT);
        boolean invert = header.getInvertMatch();
        return switch (header.getHeaderMatchSpecifierCase()) {
            case EXACT_MATCH -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.EXACT,
                    header.getExactMatch(), null, invert);
            case SAFE_REGEX_MATCH -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.REGEX, null,
                    regex(header.getSafeRegexMatch().getRegex(), where + ".safe_regex_match.regex"), invert);
            case PRESENT_MATCH -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.PRESENT, null, null,
                    header.getPresentMatch() == invert);
            case PREFIX_MATCH -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.PREFIX,
                    header.getPrefixMatch(), null, invert);
            case STRING_MATCH -> stringMatch(name, header.getStringMatch(), invert, where + ".string_match");
            default -> throw new InvalidResourceException(where + " has unsupported match "
                    + header.getHeaderMatchSpecifierCase());
        };
    }

    private static RouteMatch.HeaderMatch stringMatch(String name, StringMatcher matcher, boolean invert,
                                                      String where) throws InvalidResourceException {
        return switch (matcher.getMatchPatternCase()) {
            case EXACT -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.EXACT, matcher.getExact(),
                    null, invert);
            case PREFIX -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.PREFIX,
                    matcher.getPrefix(), null, invert);
            case SAFE_REGEX -> new RouteMatch.HeaderMatch(name, RouteMatch.HeaderMatch.Kind.REGEX, null,
                    regex(matcher.getSafeRegex().getRegex(), where + ".safe_regex.regex"), invert);
            default -> throw new InvalidResourceException(where + " has unsupported pattern "
                    + matcher.getMatchPatternCase());
        };
    }

    /** Compiled by RE2/J: matching takes time linear in the input, whatever the pattern (no backtracking). */
    static Pattern regex(String regex, String where) throws InvalidResourceException {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new InvalidResourceException(where + " " + quoted(regex) + " is not a valid regex: "
                    + e.getDescription());
        }
    }

    public static ClusterConfig cluster(Cluster cluster) throws InvalidResourceException {
        if (cluster.getName().isEmpty()) {
            throw new InvalidResourceException("Cluster: field name is empty");
        }
        String where = "Cluster " + quoted(cluster.getName()) + ": field ";
        ClusterConfig.LbPolicy policy = switch (cluster.getLbPolicy()) {
            case ROUND_ROBIN -> ClusterConfig.LbPolicy.ROUND_ROBIN;
            case LEAST_REQUEST -> ClusterConfig.LbPolicy.LEAST_REQUEST;
            default -> throw new InvalidResourceException(where + "lb_policy " + cluster.getLbPolicy()
                    + " is not supported (ROUND_ROBIN, LEAST_REQUEST)");
        };
        Duration connectTimeout = cluster.hasConnectTimeout()
                ? Duration.ofSeconds(cluster.getConnectTimeout().getSeconds(), cluster.getConnectTimeout().getNanos())
                : DEFAULT_CONNECT_TIMEOUT;
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new InvalidResourceException(where + "connect_timeout must be positive");
        }
        boolean http2 = cluster.hasHttp2ProtocolOptions();
        Any options = cluster.getTypedExtensionProtocolOptionsMap().get(HTTP_PROTOCOL_OPTIONS);
        if (options != null) {
            HttpProtocolOptions protocol = unpack(options, HttpProtocolOptions.class,
                    where + "typed_extension_protocol_options[" + HTTP_PROTOCOL_OPTIONS + "]");
            http2 |= protocol.getExplicitHttpConfig().hasHttp2ProtocolOptions();
        }
        String service = string(meshMetadata(cluster.getMetadata()), "service", cluster.getName());
        List<ClusterConfig.SocketMatch> socketMatches = new ArrayList<>();
        for (int i = 0; i < cluster.getTransportSocketMatchesCount(); i++) {
            Cluster.TransportSocketMatch match = cluster.getTransportSocketMatches(i);
            socketMatches.add(new ClusterConfig.SocketMatch(match.getName(), strings(match.getMatch()),
                    upstreamTls(match.getTransportSocket(), where + "transport_socket_matches[" + i + "].transport_socket")));
        }
        UpstreamTls defaultTls = cluster.hasTransportSocket()
                ? upstreamTls(cluster.getTransportSocket(), where + "transport_socket") : null;
        return switch (cluster.getType()) {
            case EDS -> {
                String serviceName = cluster.getEdsClusterConfig().getServiceName();
                if (serviceName.isEmpty()) {
                    serviceName = cluster.getName();
                }
                if (!cluster.getEdsClusterConfig().getEdsConfig().hasAds()) {
                    throw new InvalidResourceException(where + "eds_cluster_config.eds_config is not ads");
                }
                yield new ClusterConfig(cluster.getName(), policy, connectTimeout, http2, service, serviceName,
                        List.of(), socketMatches, defaultTls, UpstreamConnectionSettings.of(cluster, where),
                        CircuitBreakerSettings.thresholds(cluster, where), OutlierDetectionSettings.of(cluster, where));
            }
            case STATIC -> new ClusterConfig(cluster.getName(), policy, connectTimeout, http2, service, null,
                    List.of(), socketMatches, defaultTls, UpstreamConnectionSettings.of(cluster, where),
                    CircuitBreakerSettings.thresholds(cluster, where), OutlierDetectionSettings.of(cluster, where))
                    .withEndpoints(endpoints(cluster.getLoadAssignment(),
                    "Cluster " + quoted(cluster.getName()) + ": field load_assignment"));
            default -> throw new InvalidResourceException(where + "type " + cluster.getType()
                    + " is not supported (EDS, STATIC)");
        };
    }

    public static List<EndpointConfig> endpoints(ClusterLoadAssignment assignment) throws InvalidResourceException {
        if (assignment.getClusterName().isEmpty()) {
            throw new InvalidResourceException("ClusterLoadAssignment: field cluster_name is empty");
        }
        return endpoints(assignment, "ClusterLoadAssignment " + quoted(assignment.getClusterName()) + ": field");
    }

    private static List<EndpointConfig> endpoints(ClusterLoadAssignment assignment, String where)
            throws InvalidResourceException {
        List<EndpointConfig> endpoints = new ArrayList<>();
        for (int l = 0; l < assignment.getEndpointsCount(); l++) {
            LocalityLbEndpoints locality = assignment.getEndpoints(l);
            for (int e = 0; e < locality.getLbEndpointsCount(); e++) {
                LbEndpoint lb = locality.getLbEndpoints(e);
                String field = where + " endpoints[" + l + "].lb_endpoints[" + e + "].endpoint.address.socket_address";
                SocketAddress address = lb.getEndpoint().getAddress().getSocketAddress();
                if (address.getAddress().isEmpty()) {
                    throw new InvalidResourceException(field + ".address is empty");
                }
                if (address.getPortValue() <= 0 || address.getPortValue() > 65535) {
                    throw new InvalidResourceException(field + ".port_value " + address.getPortValue()
                            + " is not a port");
                }
                HealthStatus health = lb.getHealthStatus();
                boolean healthy = health == HealthStatus.HEALTHY || health == HealthStatus.UNKNOWN;
                Struct meta = meshMetadata(lb.getMetadata());
                String place = locality.getLocality().getRegion().isEmpty() && locality.getLocality().getZone().isEmpty()
                        ? "" : locality.getLocality().getRegion() + "/" + locality.getLocality().getZone();
                endpoints.add(new EndpointConfig(address.getAddress(), address.getPortValue(), healthy,
                        string(meta, "workload", "unknown"), string(meta, "namespace", "unknown"),
                        string(meta, "version", "unknown"), strings(lb.getMetadata().getFilterMetadataOrDefault(
                                TRANSPORT_SOCKET_MATCH, Struct.getDefaultInstance())), null, place,
                        string(meta, "cluster", ""), locality.getPriority()));
            }
        }
        return endpoints;
    }

    /** The string fields of a Struct (what transport socket matches compare). */
    private static java.util.Map<String, String> strings(Struct struct) {
        java.util.Map<String, String> result = new java.util.TreeMap<>();
        struct.getFieldsMap().forEach((key, value) -> {
            if (value.hasStringValue()) {
                result.put(key, value.getStringValue());
            }
        });
        return result;
    }

    /** The roots of an SDS Secret: {@code validation_context.trusted_ca.inline_bytes} (or inline_string), PEM. */
    public static List<X509Certificate> trustedRoots(Secret secret) throws InvalidResourceException {
        String where = "Secret " + quoted(secret.getName()) + ": field ";
        if (secret.getName().isEmpty()) {
            throw new InvalidResourceException("Secret: field name is empty");
        }
        if (!secret.hasValidationContext()) {
            throw new InvalidResourceException(where + "validation_context is missing (only root bundles come over xDS; "
                    + "the sidecar's own certificate comes from the CA)");
        }
        DataSource ca = secret.getValidationContext().getTrustedCa();
        String pem = switch (ca.getSpecifierCase()) {
            case INLINE_BYTES -> ca.getInlineBytes().toString(StandardCharsets.US_ASCII);
            case INLINE_STRING -> ca.getInlineString();
            default -> throw new InvalidResourceException(where + "validation_context.trusted_ca must be inline_bytes or "
                    + "inline_string");
        };
        try {
            List<X509Certificate> roots = Pem.readCertificates(pem, where + "validation_context.trusted_ca");
            if (roots.isEmpty()) {
                throw new InvalidResourceException(where + "validation_context.trusted_ca holds no certificate");
            }
            return roots;
        } catch (IllegalArgumentException e) {
            throw new InvalidResourceException(e.getMessage());
        }
    }

    private static UpstreamTls upstreamTls(TransportSocket socket, String where) throws InvalidResourceException {
        if (!socket.hasTypedConfig() || socket.getTypedConfig().is(RawBuffer.class)) {
            return null;
        }
        if (!socket.getTypedConfig().is(UpstreamTlsContext.class)) {
            throw new InvalidResourceException(where + ".typed_config has unsupported type "
                    + socket.getTypedConfig().getTypeUrl() + " (UpstreamTlsContext, RawBuffer)");
        }
        UpstreamTlsContext tls = unpack(socket.getTypedConfig(), UpstreamTlsContext.class, where);
        CommonTlsContext common = tls.getCommonTlsContext();
        checkOwnCertificate(common, where + "(UpstreamTlsContext).common_tls_context");
        java.util.Set<String> sans = new java.util.TreeSet<>();
        CertificateValidationContext peers = common.getCombinedValidationContext().getDefaultValidationContext();
        for (int i = 0; i < peers.getMatchTypedSubjectAltNamesCount(); i++) {
            SubjectAltNameMatcher san = peers.getMatchTypedSubjectAltNames(i);
            if (san.getSanType() != SubjectAltNameMatcher.SanType.URI || !san.getMatcher().hasExact()) {
                throw new InvalidResourceException(where + "(UpstreamTlsContext).common_tls_context.combined_validation_context"
                        + ".default_validation_context.match_typed_subject_alt_names[" + i + "]: only URI SANs matched "
                        + "exactly are supported");
            }
            sans.add(san.getMatcher().getExact());
        }
        String roots = rootsSecret(common, where + "(UpstreamTlsContext).common_tls_context");
        return new UpstreamTls(tls.getSni(), sans, roots, common.getAlpnProtocolsList());
    }

    private static DownstreamTls downstreamTls(TransportSocket socket, String where) throws InvalidResourceException {
        if (!socket.hasTypedConfig() || socket.getTypedConfig().is(RawBuffer.class)) {
            return null;
        }
        if (!socket.getTypedConfig().is(DownstreamTlsContext.class)) {
            throw new InvalidResourceException(where + ".typed_config has unsupported type "
                    + socket.getTypedConfig().getTypeUrl() + " (DownstreamTlsContext, RawBuffer)");
        }
        DownstreamTlsContext tls = unpack(socket.getTypedConfig(), DownstreamTlsContext.class, where);
        CommonTlsContext common = tls.getCommonTlsContext();
        if (GatewayTls.fromAds(common)) {
            return GatewayTls.downstream(tls, where + "(DownstreamTlsContext)");
        }
        checkOwnCertificate(common, where + "(DownstreamTlsContext).common_tls_context");
        return new DownstreamTls(rootsSecret(common, where + "(DownstreamTlsContext).common_tls_context"),
                tls.getRequireClientCertificate().getValue(), common.getAlpnProtocolsList());
    }

    /** The sidecar presents its own certificate, the SDS secret {@value #WORKLOAD_SECRET}; it has no other. */
    private static void checkOwnCertificate(CommonTlsContext common, String where) throws InvalidResourceException {
        if (common.getTlsCertificateSdsSecretConfigsCount() != 1
                || !common.getTlsCertificateSdsSecretConfigs(0).getName().equals(WORKLOAD_SECRET)) {
            throw new InvalidResourceException(where + ".tls_certificate_sds_secret_configs must name the one secret \""
                    + WORKLOAD_SECRET + "\" (the sidecar's own certificate)");
        }
    }

    /** The SDS secret over ADS that holds the roots to validate peers with. */
    private static String rootsSecret(CommonTlsContext common, String where) throws InvalidResourceException {
        SdsSecretConfig sds = common.hasCombinedValidationContext()
                ? common.getCombinedValidationContext().getValidationContextSdsSecretConfig()
                : common.getValidationContextSdsSecretConfig();
        if (sds.getName().isEmpty()) {
            throw new InvalidResourceException(where + ": no validation_context_sds_secret_config names the roots");
        }
        if (!sds.getSdsConfig().hasAds()) {
            throw new InvalidResourceException(where + ": the roots' sds_config is not ads");
        }
        return sds.getName();
    }

    private static Struct meshMetadata(Metadata metadata) {
        return metadata.getFilterMetadataOrDefault(MESH_METADATA, Struct.getDefaultInstance());
    }

    private static String string(Struct struct, String key, String fallback) {
        Value value = struct.getFieldsOrDefault(key, null);
        if (value == null || value.getStringValue().isEmpty()) {
            return fallback;
        }
        return value.getStringValue();
    }

    static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type, String where)
            throws InvalidResourceException {
        try {
            return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidResourceException(where + ": cannot decode " + type.getSimpleName() + ": "
                    + e.getMessage());
        }
    }

    static String quoted(String name) {
        return "\"" + name + "\"";
    }
}
