package io.meshwork.injector;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns an {@code admission.k8s.io/v1} AdmissionReview into the answering AdmissionReview. A pod
 * this code cannot handle is allowed without a patch and with a warning: the webhook runs with
 * {@code failurePolicy: Fail}, so an error here would otherwise block the user's deployment.
 */
public final class AdmissionReviewHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AdmissionReviewHandler.class);

    /** An HTTP answer: status code and JSON body. */
    public record Answer(int status, byte[] body) {
    }

    private final SidecarInjector injector;

    public AdmissionReviewHandler(SidecarInjector injector) {
        this.injector = injector;
    }

    public Answer handle(byte[] body) {
        JsonNode review;
        try {
            review = YamlDocuments.JSON.readTree(body);
        } catch (JacksonException e) {
            return error(400, "AdmissionReview body is not JSON: " + e.getOriginalMessage());
        }
        if (!review.isObject()) {
            return error(400, "AdmissionReview body is not a JSON object");
        }
        JsonNode request = review.path("request");
        if (!request.isObject()) {
            return error(400, "AdmissionReview has no request (kind " + review.path("kind").asString("?") + ")");
        }
        String uid = request.path("uid").asString("");
        if (uid.isEmpty()) {
            return error(400, "AdmissionReview request has no uid");
        }
        String apiVersion = review.path("apiVersion").asString("admission.k8s.io/v1");

        JsonNode object = request.path("object");
        String kind = request.path("kind").path("kind").asString(object.path("kind").asString(""));
        List<String> warnings = new ArrayList<>();
        String patch = null;
        if (!"Pod".equals(kind)) {
            warnings.add("meshwork injects only Pods; request " + uid + " is for \"" + kind + "\": left unchanged");
        } else if (!object.isObject()) {
            warnings.add("meshwork: request " + uid + " (" + request.path("operation").asString("?")
                    + ") has no Pod object: left unchanged");
        } else {
            ObjectNode pod = ((ObjectNode) object).deepCopy();
            if (pod.path("metadata").isObject() && !pod.path("metadata").has("namespace")
                    && request.has("namespace")) {
                // Pods created from a template carry their namespace only in the request; messages name it.
                ((ObjectNode) pod.get("metadata")).set("namespace", request.get("namespace"));
            }
            try {
                InjectionResult result = injector.inject(pod);
                warnings.addAll(result.warnings());
                if (result.injected()) {
                    patch = Base64.getEncoder().encodeToString(
                            YamlDocuments.JSON.writeValueAsBytes(result.patch()));
                    LOG.debug("injected pod {}", SidecarInjector.describe(pod));
                } else {
                    LOG.debug("pod {} not injected: {}", SidecarInjector.describe(pod), result.skipReason());
                }
            } catch (InjectionException | IllegalArgumentException e) {
                warnings.add("meshwork did not inject pod " + SidecarInjector.describe(pod) + ": " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("cannot inject pod {}", SidecarInjector.describe(pod), e);
                warnings.add("meshwork did not inject pod " + SidecarInjector.describe(pod) + ": internal error "
                        + e.getClass().getSimpleName());
            }
        }

        ObjectNode answer = YamlDocuments.JSON.createObjectNode();
        answer.put("apiVersion", apiVersion).put("kind", "AdmissionReview");
        ObjectNode response = answer.putObject("response");
        response.put("uid", uid).put("allowed", true);
        if (patch != null) {
            response.put("patchType", "JSONPatch").put("patch", patch);
        }
        if (!warnings.isEmpty()) {
            var array = response.putArray("warnings");
            warnings.forEach(array::add);
        }
        return new Answer(200, YamlDocuments.JSON.writeValueAsBytes(answer));
    }

    private static Answer error(int status, String message) {
        ObjectNode body = YamlDocuments.JSON.createObjectNode();
        body.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("message", message).put("code", status);
        return new Answer(status, YamlDocuments.JSON.writeValueAsBytes(body));
    }
}
