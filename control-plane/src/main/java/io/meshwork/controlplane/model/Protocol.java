package io.meshwork.controlplane.model;

import java.util.Locale;
import java.util.Optional;

/** The application protocol of a Service port ({@code appProtocol}). */
public enum Protocol {
    HTTP, HTTP2, GRPC, TCP;

    /** Parses an {@code appProtocol} value; empty when it is not one Meshwork knows. */
    public static Optional<Protocol> parse(String appProtocol) {
        if (appProtocol == null) {
            return Optional.empty();
        }
        return switch (appProtocol.toLowerCase(Locale.ROOT)) {
            case "http", "http1", "http/1.1", "kubernetes.io/http" -> Optional.of(HTTP);
            case "http2", "h2c", "kubernetes.io/h2c" -> Optional.of(HTTP2);
            case "grpc" -> Optional.of(GRPC);
            case "tcp" -> Optional.of(TCP);
            default -> Optional.empty();
        };
    }

    /** Whether requests on this port are HTTP (and so go through the router). */
    public boolean isHttp() {
        return this != TCP;
    }

    /** Whether the upstream connection speaks HTTP/2. */
    public boolean isHttp2() {
        return this == HTTP2 || this == GRPC;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
