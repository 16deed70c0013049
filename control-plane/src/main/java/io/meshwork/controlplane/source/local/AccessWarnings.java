package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrafficTarget;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Warnings about access policies that are accepted but do not do what their author likely meant: a STRICT
 * PeerAuthentication while workloads without a sidecar exist (they lose access); and TrafficTargets: one
 * whose destination service account no workload runs as (it protects nothing), and a rule naming a
 * route group or match that does not exist (that rule allows nothing). They are warnings, not errors:
 * the workload may come later, and a rule that allows nothing fails closed.
 */
final class AccessWarnings {

    private AccessWarnings() {
    }

    static List<ConfigProblem> of(Collection<ConfigObject> accepted, MeshSnapshot snapshot) {
        List<ConfigProblem> warnings = new ArrayList<>();
        for (ConfigObject object : accepted) {
            if (object.value() instanceof PeerAuthentication policy) {
                strictWithUnmeshedClients(object, policy, snapshot).ifPresent(warnings::add);
            }
            if (!(object.value() instanceof TrafficTarget target)) {
                continue;
            }
            String namespace = target.ref().namespace();
            boolean selects = snapshot.workloads().values().stream().anyMatch(target::selects);
            if (!selects) {
                warnings.add(warning(object, target, "spec.destination.name", "selects no workload: none in namespace "
                        + namespace + " runs as service account \"" + target.destination() + "\""));
            }
            for (int i = 0; i < target.rules().size(); i++) {
                TrafficSplit.RouteGroupMatch rule = target.rules().get(i);
                if (!rule.kind().equals("HTTPRouteGroup")) {
                    continue;
                }
                HttpRouteGroup group = snapshot.routeGroups().get(ObjectRef.of(namespace, rule.name()));
                if (group == null) {
                    warnings.add(warning(object, target, "spec.rules[" + i + "].name", "\"" + rule.name()
                            + "\" is not an HTTPRouteGroup in namespace " + namespace + ": this rule allows nothing"));
                    continue;
                }
                for (String match : rule.matchNames()) {
                    if (group.matches().stream().noneMatch(m -> m.name().equals(match))) {
                        warnings.add(warning(object, target, "spec.rules[" + i + "].matches", "HTTPRouteGroup "
                                + rule.name() + " has no match \"" + match + "\": it allows nothing"));
                    }
                }
            }
        }
        return warnings;
    }

    /**
     * A STRICT policy while workloads without a sidecar exist: those can no longer call the workloads it makes STRICT,
     * since they cannot do mutual TLS (Istio's analyzer warns the same way before a STRICT rollout).
     */
    private static java.util.Optional<ConfigProblem> strictWithUnmeshedClients(ConfigObject object, PeerAuthentication policy,
                                                                             MeshSnapshot snapshot) {
        List<String> strict = new ArrayList<>();
        for (Workload w : snapshot.workloads().values()) {
            boolean governed = policy.selects(w) || policy.isMeshDefault()
                    || (policy.isNamespaceDefault() && policy.ref().namespace().equals(w.ref().namespace()));
            if (w.meshed() && governed && w.ports().values().stream()
                    .anyMatch(port -> snapshot.mtlsModeOf(w, port) == PeerAuthentication.Mode.STRICT)) {
                strict.add(w.ref().toString());
            }
        }
        List<String> unmeshed = snapshot.workloads().values().stream().filter(w -> !w.meshed())
                .map(w -> w.ref().toString()).toList();
        if (strict.isEmpty() || unmeshed.isEmpty()) {
            return java.util.Optional.empty();
        }
        String field = policy.mode() == PeerAuthentication.Mode.STRICT ? "spec.mtls.mode" : "spec.portLevelMtls";
        return java.util.Optional.of(ConfigProblem.warning(object.locationOf(field), ConfigKind.PEER_AUTHENTICATION.kindName(),
                policy.ref(), field, "STRICT for " + names(strict) + ", but " + names(unmeshed)
                        + (unmeshed.size() == 1 ? " has" : " have") + " no sidecar and cannot call them any more"
                        + " (plaintext is refused); inject them first, or use PERMISSIVE until they are"));
    }

    private static String names(List<String> refs) {
        return refs.size() <= 3 ? String.join(", ", refs)
                : String.join(", ", refs.subList(0, 3)) + " and " + (refs.size() - 3) + " more";
    }

    private static ConfigProblem warning(ConfigObject object, TrafficTarget target, String field, String message) {
        return ConfigProblem.warning(object.locationOf(field), ConfigKind.TRAFFIC_TARGET.kindName(), target.ref(), field,
                message);
    }
}
