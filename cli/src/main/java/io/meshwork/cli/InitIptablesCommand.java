package io.meshwork.cli;

import io.meshwork.injector.MeshNames;
import io.meshwork.injector.iptables.CaptureConfig;
import io.meshwork.injector.iptables.IptablesApplier;
import io.meshwork.injector.iptables.IptablesRules;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh init-iptables}: the {@code mesh-init} container's job, with istio-iptables' flags. */
@Command(name = "init-iptables",
        description = "Install the iptables rules that send a pod's TCP traffic through its sidecar.")
public final class InitIptablesCommand implements Callable<Integer> {

    @Option(names = "-p", paramLabel = "PORT", defaultValue = "" + MeshNames.OUTBOUND_PORT, description = "Outbound capture port (default ${DEFAULT-VALUE}).")
    int outboundPort;

    @Option(names = "-z", paramLabel = "PORT", defaultValue = "" + MeshNames.INBOUND_PORT, description = "Inbound capture port (default ${DEFAULT-VALUE}).")
    int inboundPort;

    @Option(names = "-u", paramLabel = "UID", defaultValue = "" + MeshNames.PROXY_UID, description = "UID whose traffic is not captured (default ${DEFAULT-VALUE}).")
    long uid;

    @Option(names = "-g", paramLabel = "GID", defaultValue = "" + MeshNames.PROXY_GID, description = "GID whose traffic is not captured (default ${DEFAULT-VALUE}).")
    long gid;

    @Option(names = "-b", paramLabel = "INBOUND_PORTS", defaultValue = "*", description = "Inbound ports to capture, comma-separated; * for all (default).")
    String inboundPorts;

    @Option(names = "-d", paramLabel = "EXCLUDE_INBOUND_PORTS", defaultValue = "", description = "Inbound ports not to capture, comma-separated.")
    String excludeInboundPorts;

    @Option(names = "-o", paramLabel = "EXCLUDE_OUTBOUND_PORTS", defaultValue = "", description = "Outbound ports not to capture, comma-separated.")
    String excludeOutboundPorts;

    @Option(names = "-i", paramLabel = "INCLUDE_CIDRS", defaultValue = "*", description = "Outbound CIDRs to capture, comma-separated; * for all (default).")
    String includeCidrs;

    @Option(names = "-x", paramLabel = "EXCLUDE_CIDRS", defaultValue = "", description = "Outbound CIDRs not to capture, comma-separated.")
    String excludeCidrs;

    @Option(names = "--dry-run", description = "Print the iptables-restore input instead of applying it.")
    boolean dryRun;

    @Option(names = "--iptables", paramLabel = "IPTABLES", defaultValue = "iptables",
            description = "iptables binary prefix: iptables, iptables-legacy or iptables-nft (default ${DEFAULT-VALUE}).")
    String iptables;

    @Override
    public Integer call() {
        CaptureConfig config = CaptureConfig.fromFlags(outboundPort, inboundPort, uid, gid, inboundPorts,
                excludeInboundPorts, excludeOutboundPorts, includeCidrs, excludeCidrs);
        if (dryRun) {
            System.out.print(IptablesRules.render(config));
            return 0;
        }
        String applied = new IptablesApplier(iptables).apply(config);
        System.out.print(applied);
        System.out.println("# mesh-init: rules applied with " + iptables + "-restore");
        return 0;
    }
}
