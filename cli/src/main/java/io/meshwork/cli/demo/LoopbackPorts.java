package io.meshwork.cli.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports and addresses for the processes the demo starts.
 *
 * <p>A port from {@code bind(0)} comes from the kernel's ephemeral range, the same range outgoing
 * connections take their local ports from: between the check here and the child binding it, a client
 * connection (the load generator, a health probe) can take it, and the child fails with "Address already
 * in use". So ports are picked at random below that range ({@code net.ipv4.ip_local_port_range}), where
 * no outgoing connection lands, checked free, and never handed out twice by one process.
 */
final class LoopbackPorts {

    private static final int LOWEST = 20000;
    private static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private final Set<Integer> handedOut = new HashSet<>();
    private final int highest;

    LoopbackPorts() {
        this.highest = ephemeralLow() - 1;
    }

    /** A port free on 127.0.0.1 that this object has not returned before. */
    synchronized int next() throws IOException {
        return next(InetAddress.getLoopbackAddress());
    }

    /** A port free on {@code address} that this object has not returned before. */
    synchronized int next(InetAddress address) throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(LOWEST, highest + 1);
            if (!handedOut.contains(port) && bindable(address, port)) {
                handedOut.add(port);
                return port;
            }
        }
        throw new IOException("no free port between " + LOWEST + " and " + highest + " on " + address.getHostAddress());
    }

    /**
     * A loopback block {@code 127.a.b.0/24} in which {@code port} is free on every host number in {@code hosts},
     * so a demo's workload addresses (127.0.0.2, .3, ...) can move there when another demo holds the first choice.
     */
    synchronized String freeBlock(Set<Integer> hosts, Set<Integer> ports, String preferred) throws IOException {
        if (blockFree(preferred, hosts, ports)) {
            return preferred;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            String block = "127." + random.nextInt(1, 255) + "." + random.nextInt(0, 256);
            if (blockFree(block, hosts, ports)) {
                return block;
            }
        }
        throw new IOException("no loopback block 127.x.y.0/24 with ports " + ports + " free");
    }

    private static boolean blockFree(String block, Set<Integer> hosts, Set<Integer> ports) throws IOException {
        for (int host : hosts) {
            InetAddress address = InetAddress.getByName(block + "." + host);
            for (int port : ports) {
                if (!bindable(address, port)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean bindable(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(address, port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int ephemeralLow() {
        try {
            // readAllLines: JDK 17's readString trusts the size a /proc file reports (0) and read "3".
            String[] range = Files.readAllLines(PORT_RANGE).get(0).trim().split("\\s+");
            return Math.max(LOWEST + 1000, Integer.parseInt(range[0]));
        } catch (IOException | RuntimeException notLinux) {
            return 32768;
        }
    }
}
