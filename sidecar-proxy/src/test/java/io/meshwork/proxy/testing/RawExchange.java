package io.meshwork.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Raw bytes to a port on loopback, and everything that comes back until the peer closes. */
public final class RawExchange {

    private RawExchange() {
    }

    /**
     * Sends {@code raw} and reads until the peer closes (a reset counts as a close: what arrived
     * before it is returned). Fails when the peer has neither closed nor finished in 5 s.
     */
    public static String exchange(int port, String raw) throws IOException {
        return exchange(port, raw, false);
    }

    /** As {@link #exchange(int, String)}, then half-closes (FIN after the request, as {@code nc -N} does). */
    public static String halfClosedExchange(int port, String raw) throws IOException {
        return exchange(port, raw, true);
    }

    private static String exchange(int port, String raw, boolean halfClose) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the peer neither finished nor closed in 5 s; got: "
                        + out.toString(StandardCharsets.ISO_8859_1), e);
            } catch (IOException reset) {
                // a reset is an answer too: what arrived before it counts
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
