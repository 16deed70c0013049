package io.meshwork.injector.iptables;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code mesh-init} captures: inbound TCP to {@code inboundPort}, outbound TCP to
 * {@code outboundPort}, except the proxy's own traffic (UID/GID), loopback and the excluded ports
 * and CIDRs. {@code inboundPorts} and {@code includeCidrs} are null for "all" ({@code *}).
 */
public record CaptureConfig(
        int outboundPort,
        int inboundPort,
        long proxyUid,
        long proxyGid,
        List<Integer> inboundPorts,
        List<Integer> excludeInboundPorts,
        List<Integer> excludeOutboundPorts,
        List<String> includeCidrs,
        List<String> excludeCidrs) {

    private static final Pattern IPV4_CIDR = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(/(3[0-2]|[12]?\\d))?");

    public CaptureConfig {
        checkPort("outbound port (-p)", outboundPort);
        checkPort("inbound port (-z)", inboundPort);
        inboundPorts = inboundPorts == null ? null : List.copyOf(inboundPorts);
        excludeInboundPorts = List.copyOf(excludeInboundPorts);
        excludeOutboundPorts = List.copyOf(excludeOutboundPorts);
        includeCidrs = includeCidrs == null ? null : List.copyOf(includeCidrs);
        excludeCidrs = List.copyOf(excludeCidrs);
        (inboundPorts == null ? List.<Integer>of() : inboundPorts).forEach(p -> checkPort("inbound ports (-b)", p));
        excludeInboundPorts.forEach(p -> checkPort("excluded inbound ports (-d)", p));
        excludeOutboundPorts.forEach(p -> checkPort("excluded outbound ports (-o)", p));
        (includeCidrs == null ? List.<String>of() : includeCidrs).forEach(c -> checkCidr("included CIDRs (-i)", c));
        excludeCidrs.forEach(c -> checkCidr("excluded CIDRs (-x)", c));
    }

    /** Parses the comma-separated flag values as istio-iptables takes them ({@code *} means all, empty none). */
    public static CaptureConfig fromFlags(int outboundPort, int inboundPort, long uid, long gid, String inboundPorts,
            String excludeInboundPorts, String excludeOutboundPorts, String includeCidrs, String excludeCidrs) {
        return new CaptureConfig(outboundPort, inboundPort, uid, gid,
                "*".equals(trim(inboundPorts)) ? null : ports("inbound ports (-b)", inboundPorts),
                ports("excluded inbound ports (-d)", excludeInboundPorts),
                ports("excluded outbound ports (-o)", excludeOutboundPorts),
                "*".equals(trim(includeCidrs)) ? null : split(includeCidrs),
                split(excludeCidrs));
    }

    public static boolean isCidr(String text) {
        return IPV4_CIDR.matcher(text).matches();
    }

    private static List<Integer> ports(String what, String csv) {
        List<Integer> ports = new ArrayList<>();
        for (String part : split(csv)) {
            if (!part.matches("\\d{1,5}")) {
                throw new IllegalArgumentException(what + ": \"" + part + "\" is not a port number");
            }
            ports.add(Integer.parseInt(part));
        }
        return ports;
    }

    private static List<String> split(String csv) {
        List<String> parts = new ArrayList<>();
        if (csv != null) {
            for (String part : csv.split(",")) {
                if (!part.isBlank()) {
                    parts.add(part.trim());
                }
            }
        }
        return parts;
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + ": " + port + " is not a port (1-65535)");
        }
    }

    private static void checkCidr(String what, String cidr) {
        if (!isCidr(cidr)) {
            throw new IllegalArgumentException(what + ": \"" + cidr + "\" is not an IPv4 address or CIDR");
        }
    }
}
