package io.meshwork.controlplane.model;

import java.util.List;

/**
 * An SMI TrafficSplit. {@code service} is the root service that clients call (same namespace);
 * each backend is another Service with a relative integer weight (0 means no traffic).
 * {@code matches} name HTTPRouteGroups in the same namespace; empty means this is the
 * default weighted route of the root service.
 */
public record TrafficSplit(ObjectRef ref, String service, List<Backend> backends, List<RouteGroupMatch> matches) {

    public TrafficSplit {
        backends = List.copyOf(backends);
        matches = List.copyOf(matches);
    }

    public ObjectRef rootService() {
        return ObjectRef.of(ref.namespace(), service);
    }

    public record Backend(String service, long weight) {
    }

    /** A reference to an HTTPRouteGroup, optionally narrowed to some of its named matches. */
    public record RouteGroupMatch(String kind, String name, List<String> matchNames) {
        public RouteGroupMatch {
            matchNames = List.copyOf(matchNames);
        }
    }
}
