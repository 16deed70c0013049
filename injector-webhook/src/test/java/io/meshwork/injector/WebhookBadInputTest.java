package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bad AdmissionReviews: each gets a clear error or an allowed answer without a patch, within a
 * second (the API server's budget is ten), and the server keeps serving good ones afterwards.
 */
class WebhookBadInputTest extends SharedWebhook {

    private static final Duration BUDGET = Duration.ofSeconds(1);

    @BeforeAll
    static void warmUp() throws Exception {
        webhook.review(WebhookFixture.pod("pod-bare.json"), null); // TLS and the JIT once, before any budget
    }

    @AfterEach
    void serverStillInjectsAGoodPod() throws Exception {
        JsonNode answer = webhook.review(WebhookFixture.pod("pod-bare.json"), "after");
        assertThat(answer.path("response").has("patch")).isTrue();
    }

    @Test
    void bodyThatIsNotJsonIsA400NamingTheProblem() throws Exception {
        HttpResponse<String> response = timed(() -> webhook.post("this is not json".getBytes(StandardCharsets.UTF_8)));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("AdmissionReview body is not JSON");
    }

    @Test
    void admissionReviewWithoutRequestIsA400() throws Exception {
        byte[] body = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = timed(() -> webhook.post(body));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("AdmissionReview has no request");
    }

    @Test
    void nonPodObjectIsAllowedUnchangedWithAWarning() throws Exception {
        ObjectNode deployment = YamlDocuments.JSON.createObjectNode();
        deployment.put("apiVersion", "apps/v1").put("kind", "Deployment").putObject("metadata").put("name", "web");

        JsonNode answer = timed(() -> webhook.review(deployment, "uid-deploy"));

        JsonNode response = answer.path("response");
        assertThat(response.path("uid").asString()).isEqualTo("uid-deploy");
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").get(0).asString()).contains("only Pods", "Deployment");
    }

    @Test
    void podRequestWithoutAnObjectIsAllowedUnchangedWithAWarning() throws Exception {
        ObjectNode review = WebhookFixture.admissionReview(WebhookFixture.pod("pod-bare.json"), "uid-delete");
        ((ObjectNode) review.get("request")).put("operation", "DELETE").putNull("object");

        HttpResponse<String> answer = timed(() -> webhook.post(YamlDocuments.JSON.writeValueAsBytes(review)));

        JsonNode response = YamlDocuments.JSON.readTree(answer.body()).path("response");
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").get(0).asString()).contains("(DELETE) has no Pod object");
    }

    @Test
    void podWithAMalformedAnnotationIsAllowedUnchangedWithAWarning() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("meshwork.io/exclude-inbound-ports", "80,http");

        JsonNode response = timed(() -> webhook.review(pod, null)).path("response");

        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").get(0).asString())
                .contains("meshwork.io/exclude-inbound-ports", "\"http\" is not a port");
    }

    @Test
    void podWithoutContainersIsAllowedUnchangedWithAWarning() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("spec")).remove("containers");

        JsonNode response = timed(() -> webhook.review(pod, null)).path("response");

        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("warnings").get(0).asString()).contains("spec.containers is missing");
    }

    @Test
    void podAsLargeAsTheApiServerAcceptsIsInjected() throws Exception {
        // 3 MiB is the largest body the API server takes; its review wraps that much and more.
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("big", "x".repeat(3 * 1024 * 1024));

        JsonNode response = webhook.review(pod, null).path("response");

        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.has("patch")).isTrue();
    }

    @Test
    void tenMegabyteBodyIsRefusedWith413BeforeItIsSent() throws Exception {
        try (SSLSocket socket = (SSLSocket) WebhookFixture.trusting(webhook.ca).getSocketFactory()
                .createSocket("127.0.0.1", webhook.server.address().getPort())) {
            socket.setSoTimeout(5000);
            socket.startHandshake();
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(("POST /inject HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (10 * 1024 * 1024) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[64 * 1024]); // the start of the body; the rest never comes
            out.flush();

            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BUDGET);
            assertThat(statusLine).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
        }
    }

    @Test
    void tenMegabyteBodySentInFullIsRefused() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) ' ');
        // The client's own time to encrypt and send 10 MB is not the server's: no budget here.
        try {
            HttpResponse<String> response = webhook.post(body);
            assertThat(response.statusCode()).isEqualTo(413);
        } catch (java.io.IOException closedAfter413) {
            // The server closes the connection after its 413; a client still sending sees a reset.
            assertThat(closedAfter413).isNotNull();
        }
    }

    private static <T> T timed(java.util.concurrent.Callable<T> request) throws Exception {
        long start = System.nanoTime();
        T result = request.call();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to answer").isLessThan(BUDGET);
        return result;
    }
}
