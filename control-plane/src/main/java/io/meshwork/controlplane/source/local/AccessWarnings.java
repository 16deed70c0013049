package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrafficTarget;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Warnings about TrafficTargets that are accepted but do not do what their author likely meant: one
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

    private static ConfigProblem warning(ConfigObject object, TrafficTarget target, String field, String message) {
        return ConfigProblem.warning(object.locationOf(field), ConfigKind.TRAFFIC_TARGET.kindName(), target.ref(), field,
                message);
    }
}
