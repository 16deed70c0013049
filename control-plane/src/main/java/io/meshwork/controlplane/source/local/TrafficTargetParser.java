package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrafficTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads an SMI {@code access.smi-spec.io/v1alpha3} (or v1alpha2) {@code TrafficTarget}: {@code spec.destination}
 * (kind ServiceAccount, name, namespace which must be the TrafficTarget's own, optional port),
 * {@code spec.sources[]} (kind ServiceAccount, name, namespace defaulting to the TrafficTarget's) and
 * {@code spec.rules[]} (kind HTTPRouteGroup, name, optional matches). TCPRoute and UDPRoute rules allow
 * what they name on TCP ports, which is everything: they are read and need no further checks.
 */
final class TrafficTargetParser implements KindParser<TrafficTarget> {

    private static final Set<String> ROUTE_KINDS = Set.of("HTTPRouteGroup", "TCPRoute", "UDPRoute");

    @Override
    public TrafficTarget parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        YamlObject destination = spec.requiredObject("destination");
        serviceAccountKind(destination);
        String destinationName = destination.requiredString("name");
        String destinationNamespace = destination.optionalString("namespace").orElse(ref.namespace());
        if (!destinationNamespace.equals(ref.namespace())) {
            throw destination.error("namespace", "\"" + destinationNamespace + "\" is not the TrafficTarget's namespace \""
                    + ref.namespace() + "\" (a TrafficTarget protects the service accounts of its own namespace)");
        }
        Integer port = destination.optionalPort("port").orElse(null);
        List<YamlObject> sourceItems = spec.objectList("sources");
        if (sourceItems.isEmpty()) {
            throw spec.error("sources", "at least one source service account is required");
        }
        List<ObjectRef> sources = new ArrayList<>();
        for (YamlObject source : sourceItems) {
            serviceAccountKind(source);
            sources.add(ObjectRef.of(source.optionalString("namespace").orElse(ref.namespace()),
                    source.requiredString("name")));
        }
        List<TrafficSplit.RouteGroupMatch> rules = new ArrayList<>();
        for (YamlObject rule : spec.objectList("rules")) {
            String kind = rule.requiredString("kind");
            if (!ROUTE_KINDS.contains(kind)) {
                throw rule.error("kind", "\"" + kind + "\" is not a route kind (HTTPRouteGroup, TCPRoute, UDPRoute)");
            }
            rules.add(new TrafficSplit.RouteGroupMatch(kind, rule.requiredString("name"), rule.stringList("matches")));
        }
        return new TrafficTarget(ref, destinationName, port, sources, rules);
    }

    private static void serviceAccountKind(YamlObject subject) {
        String kind = subject.optionalString("kind").orElse("ServiceAccount");
        if (!kind.equals("ServiceAccount")) {
            throw subject.error("kind", "\"" + kind + "\" is not supported (ServiceAccount)");
        }
    }
}
