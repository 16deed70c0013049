package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.SidecarScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code meshwork.io/v1alpha1 Sidecar}, Istio's fields: {@code spec.workloadSelector.labels}
 * (optional) and {@code spec.egress[].hosts} ({@code namespace/name}). Istio's other fields (ingress,
 * outboundTrafficPolicy, an egress's port, bind and captureMode) draw the usual unknown-field warning.
 */
final class SidecarParser implements KindParser<SidecarScope> {

    private static final Pattern NAMESPACE = Pattern.compile("\\.|\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern NAME = Pattern.compile("\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    @Override
    public SidecarScope parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        Map<String, String> selector = spec.optionalObject("workloadSelector")
                .map(s -> s.stringMap("labels")).orElse(Map.of());
        List<YamlObject> egress = spec.objectList("egress");
        if (egress.isEmpty()) {
            throw spec.error("egress", "at least one egress with hosts is required (\"./*\" for the own namespace, "
                    + "\"*/*\" for the whole mesh)");
        }
        List<String> hosts = new ArrayList<>();
        for (YamlObject listener : egress) {
            List<String> listenerHosts = listener.stringList("hosts");
            if (listenerHosts.isEmpty()) {
                throw listener.error("hosts", "at least one host is required, as namespace/name (\"./reviews\", \"*/ratings\")");
            }
            for (String host : listenerHosts) {
                int slash = host.indexOf('/');
                if (slash < 0 || !NAMESPACE.matcher(host.substring(0, slash)).matches()
                        || !NAME.matcher(host.substring(slash + 1)).matches()) {
                    throw listener.error("hosts", "\"" + host + "\" is not namespace/name (namespace \".\", \"*\" or a "
                            + "namespace; name \"*\", a service or its FQDN), as in \"./reviews\" or \"*/ratings\"");
                }
                hosts.add(host);
            }
        }
        return new SidecarScope(ref, selector, hosts);
    }
}
