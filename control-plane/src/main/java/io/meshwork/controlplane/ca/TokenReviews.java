package io.meshwork.controlplane.ca;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwork.certs.SpiffeId;
import java.util.List;

/**
 * Kubernetes mode's caller check: the sidecar's projected ServiceAccount token (audience
 * {@code meshwork-ca}) goes to the API server's TokenReview, and only the service account it was
 * issued to, {@code system:serviceaccount:<namespace>:<name>}, gets an identity; the pod's name
 * (from the bound token) is the workload.
 */
public final class TokenReviews implements CallerAuthenticator {

    private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
    private static final String POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";

    private final KubernetesClient client;
    private final String trustDomain;

    public TokenReviews(KubernetesClient client, String trustDomain) {
        this.client = client;
        this.trustDomain = trustDomain;
    }

    @Override
    public Caller authenticate(String bearerToken) throws CallerRejectedException {
        if (bearerToken == null || bearerToken.isBlank()) {
            throw new CallerRejectedException("no ServiceAccount token");
        }
        TokenReview review = new TokenReviewBuilder().withNewSpec().withToken(bearerToken)
                .withAudiences(KUBERNETES_AUDIENCE).endSpec().build();
        TokenReviewStatus status;
        try {
            status = client.authentication().v1().tokenReviews().create(review).getStatus();
        } catch (KubernetesClientException e) {
            throw new CallerRejectedException("TokenReview failed: " + e.getMessage());
        }
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
            throw new CallerRejectedException("ServiceAccount token not authenticated"
                    + (status != null && status.getError() != null ? ": " + status.getError() : ""));
        }
        if (status.getAudiences() != null && !status.getAudiences().contains(KUBERNETES_AUDIENCE)) {
            throw new CallerRejectedException("token is not for audience " + KUBERNETES_AUDIENCE + " (it is for "
                    + status.getAudiences() + ")");
        }
        String user = status.getUser().getUsername();
        String[] parts = user == null || !user.startsWith(SERVICE_ACCOUNT_PREFIX) ? new String[0]
                : user.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":");
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new CallerRejectedException("token belongs to \"" + user + "\", not a ServiceAccount");
        }
        List<String> pod = status.getUser().getExtra() == null ? null : status.getUser().getExtra().get(POD_NAME_EXTRA);
        return new Caller(new SpiffeId(trustDomain, parts[0], parts[1]), pod == null || pod.isEmpty() ? "" : pod.get(0));
    }
}
