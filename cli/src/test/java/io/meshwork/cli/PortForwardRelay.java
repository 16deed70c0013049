package io.meshwork.cli;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD mock API server plus what it lacks for {@code kubectl port-forward}: a pod's
 * {@code portforward} subresource upgraded to a WebSocket that speaks the API server's port-forward
 * framing (each message starts with its channel: 0 data, 1 errors; each channel first announces the
 * port) and relays the data to a real TCP port on loopback, standing for the port inside the pod.
 */
final class PortForwardRelay extends KubernetesCrudDispatcher {

    private static final Pattern PATH = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/portforward\\?ports=(\\d+)");

    /** {@code namespace/pod:podPort} → the loopback port that stands for it. */
    private final Map<String, Integer> targets = new ConcurrentHashMap<>();

    /** Port {@code podPort} of {@code namespace/pod} is {@code 127.0.0.1:localPort}. */
    void route(String namespace, String pod, int podPort, int localPort) {
        targets.put(namespace + "/" + pod + ":" + podPort, localPort);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher m = PATH.matcher(request.getPath());
        if (!m.matches()) {
            return super.dispatch(request);
        }
        int podPort = Integer.parseInt(m.group(3));
        Integer target = targets.get(m.group(1) + "/" + m.group(2) + ":" + podPort);
        if (target == null) {
            return new MockResponse().setResponseCode(404).setBody("nothing listens on port " + podPort + " of pod " + m.group(2));
        }
        return new MockResponse().withWebSocketUpgrade(new Relay(target, podPort));
    }

    private static final class Relay extends WebSocketListener {
        private final int target;
        private final int podPort;
        private Socket socket;

        Relay(int target, int podPort) {
            this.target = target;
            this.podPort = podPort;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            try {
                socket = new Socket("127.0.0.1", target);
            } catch (IOException e) {
                ws.close(1011, e.getMessage());
                return;
            }
            byte lo = (byte) (podPort & 0xff);
            byte hi = (byte) ((podPort >> 8) & 0xff);
            ws.send(new byte[] {0, lo, hi});
            ws.send(new byte[] {1, lo, hi});
            Thread pump = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try (InputStream in = socket.getInputStream()) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        byte[] frame = new byte[n + 1];
                        System.arraycopy(buffer, 0, frame, 1, n);
                        ws.send(frame);
                    }
                } catch (IOException e) {
                    // the socket closed: the stream ends
                }
                ws.close(1000, "");
            }, "port-forward-relay");
            pump.setDaemon(true);
            pump.start();
        }

        @Override
        public void onMessage(WebSocket ws, ByteString bytes) {
            onMessage(ws, bytes.toByteArray());
        }

        @Override
        public void onMessage(WebSocket ws, byte[] frame) {
            if (frame.length > 1 && frame[0] == 0) {
                try {
                    socket.getOutputStream().write(Arrays.copyOfRange(frame, 1, frame.length));
                } catch (IOException e) {
                    ws.close(1011, e.getMessage());
                }
            }
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            close();
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            close();
        }

        private void close() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
