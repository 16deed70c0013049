package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** What went wrong with a call to an API server, in words: fabric8's own message names the operation, not the cause. */
public final class ApiErrors {

    private ApiErrors() {
    }

    /**
     * {@code connection refused}, {@code 403 Forbidden: trafficsplits.split.smi-spec.io is forbidden: ...}, {@code no
     * such host}, ...: the HTTP status and the server's message when it answered, else the deepest cause.
     */
    public static String reason(KubernetesClientException e) {
        if (e.getCode() > 0) {
            String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                    : e.getMessage();
            return e.getCode() + (e.getStatus() != null && e.getStatus().getReason() != null ? " " + e.getStatus().getReason()
                    : "") + ": " + message;
        }
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return "cannot connect (" + (t.getMessage() != null ? t.getMessage() : "connection refused") + ")";
            }
            if (t instanceof java.net.UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return "TLS failed: " + t.getMessage();
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return "no answer in time";
            }
            root = t;
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
