package io.meshwork.injector.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * The nat-table rules of {@code mesh-init}, in {@code iptables-restore} format, after Istio's
 * REDIRECT mode: PREROUTING sends inbound TCP through {@code MESH_INBOUND} to the inbound port,
 * OUTPUT sends outbound TCP through {@code MESH_OUTPUT} to the outbound port.
 */
public final class IptablesRules {

    /** Every chain this tool owns; their names are how re-applying finds and replaces the old rules. */
    public static final List<String> CHAINS = List.of("MESH_INBOUND", "MESH_IN_REDIRECT", "MESH_OUTPUT", "MESH_REDIRECT");

    private IptablesRules() {
    }

    /** The chain declarations and rules, without the {@code *nat} header and {@code COMMIT}. */
    public static List<String> rules(CaptureConfig c) {
        List<String> rules = new ArrayList<>();
        CHAINS.forEach(chain -> rules.add(":" + chain + " - [0:0]"));
        rules.add("-A PREROUTING -p tcp -j MESH_INBOUND");
        rules.add("-A OUTPUT -p tcp -j MESH_OUTPUT");

        rules.add("-A MESH_IN_REDIRECT -p tcp -j REDIRECT --to-ports " + c.inboundPort());
        rules.add("-A MESH_REDIRECT -p tcp -j REDIRECT --to-ports " + c.outboundPort());

        boolean captureInbound = c.inboundPorts() == null || !c.inboundPorts().isEmpty();
        if (c.inboundPorts() == null) {
            for (int port : c.excludeInboundPorts()) {
                rules.add("-A MESH_INBOUND -p tcp --dport " + port + " -j RETURN");
            }
            rules.add("-A MESH_INBOUND -p tcp -j MESH_IN_REDIRECT");
        } else {
            for (int port : c.inboundPorts()) {
                if (!c.excludeInboundPorts().contains(port)) {
                    rules.add("-A MESH_INBOUND -p tcp --dport " + port + " -j MESH_IN_REDIRECT");
                }
            }
        }

        for (String owner : new String[] {"--uid-owner " + c.proxyUid(), "--gid-owner " + c.proxyGid()}) {
            if (captureInbound) {
                // The proxy calling its own pod IP (a service that resolves to itself) is inbound traffic.
                rules.add("-A MESH_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner " + owner + " -j MESH_IN_REDIRECT");
            }
            // The app talking to itself over loopback stays local.
            rules.add("-A MESH_OUTPUT -o lo -m owner ! " + owner + " -j RETURN");
            // The proxy's own upstream connections go straight out: without this, traffic would loop.
            rules.add("-A MESH_OUTPUT -m owner " + owner + " -j RETURN");
        }
        rules.add("-A MESH_OUTPUT -d 127.0.0.1/32 -j RETURN");
        for (int port : c.excludeOutboundPorts()) {
            rules.add("-A MESH_OUTPUT -p tcp --dport " + port + " -j RETURN");
        }
        for (String cidr : c.excludeCidrs()) {
            rules.add("-A MESH_OUTPUT -d " + cidr + " -j RETURN");
        }
        if (c.includeCidrs() == null) {
            rules.add("-A MESH_OUTPUT -j MESH_REDIRECT");
        } else {
            for (String cidr : c.includeCidrs()) {
                rules.add("-A MESH_OUTPUT -d " + cidr + " -j MESH_REDIRECT");
            }
        }
        return rules;
    }

    /** The whole {@code iptables-restore} input for a nat table that holds only our rules. */
    public static String render(CaptureConfig config) {
        return merge("", config);
    }

    /**
     * The nat table of {@code iptablesSave} (the output of {@code iptables-save -t nat}) with our
     * previous rules taken out and the current ones put in: restoring it replaces the table in one
     * commit, keeps everyone else's rules, and applying twice gives the same table.
     */
    public static String merge(String iptablesSave, CaptureConfig config) {
        List<String> kept = new ArrayList<>();
        boolean inNat = false;
        for (String line : iptablesSave.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.equals("*nat")) {
                inNat = true;
            } else if (trimmed.startsWith("*")) {
                inNat = false;
            } else if (inNat && !trimmed.isEmpty() && !trimmed.startsWith("#") && !trimmed.equals("COMMIT")
                    && !ours(trimmed)) {
                kept.add(trimmed);
            }
        }
        StringBuilder out = new StringBuilder("*nat\n");
        for (String builtin : new String[] {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}) {
            if (kept.stream().noneMatch(l -> l.startsWith(":" + builtin + " "))) {
                out.append(':').append(builtin).append(" ACCEPT [0:0]\n");
            }
        }
        // Chain declarations must precede every rule.
        kept.stream().filter(l -> l.startsWith(":")).forEach(l -> out.append(l).append('\n'));
        List<String> ours = rules(config);
        ours.stream().filter(l -> l.startsWith(":")).forEach(l -> out.append(l).append('\n'));
        kept.stream().filter(l -> !l.startsWith(":")).forEach(l -> out.append(l).append('\n'));
        ours.stream().filter(l -> !l.startsWith(":")).forEach(l -> out.append(l).append('\n'));
        return out.append("COMMIT\n").toString();
    }

    private static boolean ours(String line) {
        for (String chain : CHAINS) {
            if (line.startsWith(":" + chain + " ") || line.startsWith("-A " + chain + " ")
                    || line.endsWith("-j " + chain) || line.contains("-j " + chain + " ")) {
                return true;
            }
        }
        return false;
    }
}
