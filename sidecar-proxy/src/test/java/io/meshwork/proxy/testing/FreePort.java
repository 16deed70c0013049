package io.meshwork.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free loopback port, for listeners whose port comes from the config rather than from a flag. It is taken below the
 * kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}): a port from that range, free when picked, could be
 * handed to a listener bound to port 0 (a control plane's admin port, say) before the config's listener binds it.
 */
public final class FreePort {

    private static final int LOWEST = 10_000;

    private FreePort() {
    }

    public static int pick() {
        int below = ephemeralLow();
        for (int attempt = 0; below > LOWEST + 100 && attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // another one
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the ephemeral range (32768 on Linux by default; 0 where it cannot be read). */
    private static int ephemeralLow() {
        try {
            // readAllLines, not readString: JDK 17's readString trusts the size a /proc file reports (0) and returned
            // "3" here, so every pick fell back to an ephemeral port (CI: 'Address already in use' at 37511, 40419).
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).strip()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
