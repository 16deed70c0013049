package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Workload;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code meshwork.io/v1alpha1 Workload}: an IP literal address, {@code ports} and
 * {@code appPorts} (name → port), whose names must be among {@code ports}; {@code ready} defaults to true.
 */
final class WorkloadParser implements KindParser<Workload> {

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    @Override
    public Workload parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        Map<String, String> labels = metadata.stringMap("labels");
        YamlObject spec = document.requiredObject("spec");
        String address = spec.requiredString("address");
        if (!isIpLiteral(address)) {
            throw spec.error("address", "\"" + address + "\" is not an IP address");
        }
        Map<String, Integer> ports = spec.portMap("ports");
        Map<String, Integer> appPorts = spec.portMap("appPorts");
        for (String name : appPorts.keySet()) {
            if (!ports.containsKey(name)) {
                throw spec.error("appPorts", "\"" + name + "\" has no entry in spec.ports (appPorts sit behind ports of the same name)");
            }
        }
        Locality locality = spec.optionalObject("locality")
                .map(l -> new Locality(l.optionalString("region").orElse(""), l.optionalString("zone").orElse("")))
                .orElse(Locality.UNKNOWN);
        return new Workload(ref, labels, address, ports, appPorts,
                spec.optionalString("serviceAccount").orElse(""), locality,
                spec.optionalString("cluster").orElse(""), spec.optionalBool("ready").orElse(true));
    }

    /** Checks the text without any name lookup: dotted IPv4, or IPv6 (which always has a colon). */
    static boolean isIpLiteral(String address) {
        if (IPV4.matcher(address).matches()) {
            return true;
        }
        if (!address.contains(":") || !address.matches("[0-9a-fA-F:.]+")) {
            return false;
        }
        try {
            // With a colon and only hex digits, getByName parses an IPv6 literal and never resolves.
            InetAddress.getByName(address);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
