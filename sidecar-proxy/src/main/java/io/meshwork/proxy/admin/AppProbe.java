package io.meshwork.proxy.admin;

import java.time.Duration;
import java.util.Map;

/**
 * One of an app container's original kubelet probes, which the injector moved behind the sidecar's
 * health port; the sidecar runs it against the app on 127.0.0.1.
 */
public sealed interface AppProbe permits AppProbe.HttpGet, AppProbe.TcpSocket, AppProbe.Grpc {

    /** Kubernetes' default {@code timeoutSeconds}. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    int port();

    Duration timeout();

    /**
     * GET {@code path}; 200-399 is healthy, as for the kubelet.
     *
     * @param host the Host header the app expects (the kubelet's {@code httpGet.host}); empty: 127.0.0.1:port
     */
    record HttpGet(int port, String path, boolean https, String host, Map<String, String> headers, Duration timeout)
            implements AppProbe {
        public HttpGet {
            headers = Map.copyOf(headers);
        }
    }

    /** Healthy when a TCP connection opens. */
    record TcpSocket(int port, Duration timeout) implements AppProbe {
    }

    /** {@code grpc.health.v1.Health/Check} for {@code service} (empty: the whole server); healthy when SERVING. */
    record Grpc(int port, String service, Duration timeout) implements AppProbe {
    }
}
