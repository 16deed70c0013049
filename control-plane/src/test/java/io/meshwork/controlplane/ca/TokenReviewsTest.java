package io.meshwork.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshwork.certs.SpiffeId;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes CA caller check against the mock API server's TokenReview answers. */
class TokenReviewsTest {

    private final MockApiServer api = new MockApiServer();
    private final TokenReviews reviews = new TokenReviews(api.client(), "cluster.local");

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void serviceAccountTokenForMeshworkCaGetsThatServiceAccountsIdentityAndItsPod() throws Exception {
        api.reviewTokenAs("good", "{\"authenticated\":true,\"audiences\":[\"meshwork-ca\"],\"user\":{\"username\":"
                + "\"system:serviceaccount:shop:reviews\",\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"reviews-v1-0\"]}}}");

        CallerAuthenticator.Caller caller = reviews.authenticate("good");

        assertThat(caller.identity()).isEqualTo(new SpiffeId("cluster.local", "shop", "reviews"));
        assertThat(caller.workload()).isEqualTo("reviews-v1-0");
        assertThat(api.tokenReviewBodies()).singleElement().asString().contains("\"audiences\":[\"meshwork-ca\"]");
    }

    @Test
    void tokenTheApiServerDoesNotAuthenticateIsRejected() {
        api.reviewTokenAs("expired", "{\"authenticated\":false,\"error\":\"token has expired\"}");

        assertThatThrownBy(() -> reviews.authenticate("expired")).isInstanceOf(CallerAuthenticator.CallerRejectedException.class)
                .hasMessage("ServiceAccount token not authenticated: token has expired");
    }

    @Test
    void tokenReviewThatFailsRejectsTheCaller() {
        // The mock server refuses a TokenReview it has no answer for (no name): an API server error fails closed.
        assertThatThrownBy(() -> reviews.authenticate("unknown")).isInstanceOf(CallerAuthenticator.CallerRejectedException.class)
                .hasMessageStartingWith("TokenReview failed: ");
    }

    @Test
    void tokenOfAUserThatIsNoServiceAccountIsRejected() {
        api.reviewTokenAs("admin", "{\"authenticated\":true,\"audiences\":[\"meshwork-ca\"],\"user\":{\"username\":\"kubernetes-admin\"}}");

        assertThatThrownBy(() -> reviews.authenticate("admin")).hasMessage("token belongs to \"kubernetes-admin\", not a ServiceAccount");
    }

    @Test
    void tokenForAnotherAudienceIsRejected() {
        api.reviewTokenAs("api", "{\"authenticated\":true,\"audiences\":[\"https://kubernetes.default.svc\"],"
                + "\"user\":{\"username\":\"system:serviceaccount:shop:reviews\"}}");

        assertThatThrownBy(() -> reviews.authenticate("api")).hasMessageStartingWith("token is not for audience meshwork-ca");
    }
}
