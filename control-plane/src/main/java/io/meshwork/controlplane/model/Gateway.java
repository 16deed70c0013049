package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;

/**
 * A Gateway API {@code Gateway} (v1): listeners that a {@code mesh gateway} process of this name serves, when its
 * GatewayClass is Meshwork's ({@link Gateways#CONTROLLER}).
 */
public record Gateway(ObjectRef ref, String className, List<Listener> listeners) {

    public Gateway {
        listeners = List.copyOf(listeners);
    }

    /** The protocols Meshwork's gateway serves. */
    public enum Protocol { HTTP, HTTPS }

    /**
     * One listener.
     *
     * @param hostname the host name (or {@code *.} wildcard) it answers, null for any
     * @param certificates HTTPS: the {@code kubernetes.io/tls} Secrets of {@code tls.certificateRefs}; each is served to the clients that can verify its key type
     */
    public record Listener(String name, int port, Protocol protocol, String hostname, List<ObjectRef> certificates,
                           AllowedRoutes allowedRoutes) {
        public Listener {
            certificates = List.copyOf(certificates);
        }
    }

    /**
     * {@code allowedRoutes}: which namespaces' routes may attach ({@code namespaces}) and of which kinds
     * ({@code kinds}: HTTPRoute and GRPCRoute, the kinds an HTTP or HTTPS listener takes, unless it names fewer).
     */
    public record AllowedRoutes(From from, LabelSelector selector, List<String> kinds) {

        /** The route kinds Meshwork's gateway serves on an HTTP or HTTPS listener. */
        public static final List<String> ROUTE_KINDS = List.of("HTTPRoute", "GRPCRoute");

        public static final AllowedRoutes SAME = new AllowedRoutes(From.SAME, null);

        public AllowedRoutes {
            kinds = List.copyOf(kinds);
        }

        /** Routes of every kind the listener takes. */
        public AllowedRoutes(From from, LabelSelector selector) {
            this(from, selector, ROUTE_KINDS);
        }

        /** The same namespaces, routes of {@code kinds} only. */
        public AllowedRoutes withKinds(List<String> kinds) {
            return new AllowedRoutes(from, selector, kinds);
        }

        /** Whether routes of {@code kind} ({@code HTTPRoute}, {@code GRPCRoute}) may attach. */
        public boolean allowsKind(String kind) {
            return kinds.contains(kind);
        }

        /**
         * Whether a route of {@code namespace} may attach to a listener of {@code gateway}. A namespace's labels are
         * those Kubernetes gives every namespace ({@code kubernetes.io/metadata.name}), so a Selector on them works
         * in a folder as in a cluster.
         */
        public boolean allows(String namespace, ObjectRef gateway) {
            return switch (from) {
                case SAME -> namespace.equals(gateway.namespace());
                case ALL -> true;
                case SELECTOR -> selector.matches(Map.of("kubernetes.io/metadata.name", namespace));
            };
        }
    }

    public enum From { SAME, ALL, SELECTOR }

    /** A Kubernetes label selector: {@code matchLabels} and {@code matchExpressions}, all must hold. */
    public record LabelSelector(Map<String, String> matchLabels, List<Expression> expressions) {

        public LabelSelector {
            matchLabels = Map.copyOf(matchLabels);
            expressions = List.copyOf(expressions);
        }

        public boolean matches(Map<String, String> labels) {
            return matchLabels.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))
                    && expressions.stream().allMatch(e -> e.matches(labels));
        }

        /** {@code operator} In, NotIn, Exists or DoesNotExist. */
        public record Expression(String key, String operator, List<String> values) {
            public Expression {
                values = List.copyOf(values);
            }

            boolean matches(Map<String, String> labels) {
                String value = labels.get(key);
                return switch (operator) {
                    case "In" -> value != null && values.contains(value);
                    case "NotIn" -> value == null || !values.contains(value);
                    case "Exists" -> value != null;
                    default -> value == null; // DoesNotExist
                };
            }
        }
    }
}
