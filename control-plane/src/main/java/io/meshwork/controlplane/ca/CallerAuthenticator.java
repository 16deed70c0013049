package io.meshwork.controlplane.ca;

import io.meshwork.certs.SpiffeId;

/**
 * Who is calling the CA (or the secured xDS stream): turns the bearer credential a sidecar
 * presents into the one identity it may have. Local mode checks a workload token the control
 * plane signed ({@link WorkloadTokens}); Kubernetes mode reviews the pod's projected
 * ServiceAccount token (audience {@code meshwork-ca}) with the API server's TokenReview.
 */
public interface CallerAuthenticator {

    /** The audience a projected ServiceAccount token must be minted for. */
    String KUBERNETES_AUDIENCE = "meshwork-ca";

    /** The identity behind {@code bearerToken}; throws with the reason when there is none. */
    Caller authenticate(String bearerToken) throws CallerRejectedException;

    /** An authenticated caller: its SPIFFE identity and, when the credential names it, its workload. */
    record Caller(SpiffeId identity, String workload) {
    }

    /** The credential is missing, malformed, expired or not ours; the message says which. */
    final class CallerRejectedException extends Exception {
        public CallerRejectedException(String message) {
            super(message);
        }
    }
}
