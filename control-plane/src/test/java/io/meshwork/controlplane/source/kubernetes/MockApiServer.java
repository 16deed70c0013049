package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's Kubernetes mock server in CRUD mode on loopback, recording every request made to it,
 * and able to answer watches of one resource with 410 Gone (as an API server does when the
 * resourceVersion a watch starts from has expired), plus builders for the objects tests create.
 */
public final class MockApiServer implements AutoCloseable {

    /** One request: HTTP method, path with query, and the client's User-Agent. */
    public record Request(String method, String path, String userAgent) {
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> goneWatches = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicInteger goneAnswered = new AtomicInteger();
    private final Map<String, String> tokenReviews = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> tokenReviewBodies = new CopyOnWriteArrayList<>();
    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public MockApiServer() {
        KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(new Request(request.getMethod(), request.getPath(), request.getHeader("User-Agent")));
                if (request.getMethod().equals("POST") && request.getPath().endsWith("/tokenreviews")) {
                    String body = request.getUtf8Body();
                    tokenReviewBodies.add(body);
                    for (Map.Entry<String, String> review : tokenReviews.entrySet()) {
                        if (body.contains("\"token\":\"" + review.getKey() + "\"")) {
                            return new MockResponse().setResponseCode(201).setBody("{\"apiVersion\":\"authentication.k8s.io/v1\","
                                    + "\"kind\":\"TokenReview\",\"status\":" + review.getValue() + "}");
                        }
                    }
                }
                if (request.getPath().contains("watch=true")) {
                    for (Map.Entry<String, AtomicInteger> gone : goneWatches.entrySet()) {
                        if (request.getPath().startsWith(gone.getKey()) && gone.getValue().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            goneAnswered.incrementAndGet();
                            return new MockResponse().setResponseCode(410).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                                    + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}");
                        }
                    }
                }
                return super.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    public KubernetesClient client() {
        return client;
    }

    /** Another client of the same server (a control plane closes the client it is given). */
    public KubernetesClient newClient() {
        return server.createClient();
    }

    /** Every request so far. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The next {@code count} watches of paths starting with {@code pathPrefix} get 410 Gone. */
    public void answerWatchesWithGone(String pathPrefix, int count) {
        goneWatches.computeIfAbsent(pathPrefix, p -> new AtomicInteger()).addAndGet(count);
    }

    /**
     * A TokenReview of {@code token} is answered with {@code statusJson} (what the API server would find);
     * other tokens get CRUD mode's echo, which has no status: not authenticated.
     */
    public void reviewTokenAs(String token, String statusJson) {
        tokenReviews.put(token, statusJson);
    }

    /** The bodies of the TokenReviews posted so far. */
    public List<String> tokenReviewBodies() {
        return List.copyOf(tokenReviewBodies);
    }

    /** How many watches were answered with 410 Gone so far. */
    public int goneAnswered() {
        return goneAnswered.get();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /** TrafficSplits, named in full (the mock server has no API discovery). */
    public io.fabric8.kubernetes.client.dsl.MixedOperation<io.fabric8.kubernetes.api.model.GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<io.fabric8.kubernetes.api.model.GenericKubernetesResource>> trafficSplits() {
        return client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context());
    }

    /** A default TrafficSplit {@code name} of root {@code reviews}: reviews-v1 and reviews-v2 with these weights. */
    public static io.fabric8.kubernetes.api.model.GenericKubernetesResource split(String name, int v1, int v2) {
        return new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion("split.smi-spec.io/v1alpha4").withKind("TrafficSplit")
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .addToAdditionalProperties("spec", new java.util.LinkedHashMap<>(Map.of("service", "reviews", "backends",
                        new java.util.ArrayList<>(List.of(
                                new java.util.LinkedHashMap<>(Map.of("service", "reviews-v1", "weight", v1)),
                                new java.util.LinkedHashMap<>(Map.of("service", "reviews-v2", "weight", v2)))))))
                .build();
    }

    /** The split's backends, to edit. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> backends(io.fabric8.kubernetes.api.model.GenericKubernetesResource split) {
        return (List<Map<String, Object>>) ((Map<String, Object>) split.getAdditionalProperties().get("spec")).get("backends");
    }

    public static Service service(String name, Map<String, String> selector, int port) {
        return new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build())
                .withNewSpec().withSelector(selector).addNewPort().withName("grpc").withPort(port).withAppProtocol("grpc")
                .withNewTargetPort(port).endPort().endSpec().build();
    }

    public static Pod pod(String name, Map<String, String> labels, String ip, boolean meshed) {
        ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(name).withNamespace("default").withLabels(labels);
        if (meshed) {
            meta.addToAnnotations(SliceEndpoints.STATUS_ANNOTATION, "{\"containers\":[\"mesh-proxy\"]}");
        }
        return new PodBuilder().withMetadata(meta.build()).withNewSpec().withServiceAccountName(name.split("-")[0])
                .withNodeName("node-a").endSpec().withNewStatus().withPodIP(ip).withPhase("Running").endStatus().build();
    }

    /** A slice of {@code service} listing one pod at {@code ip:port}, with the given conditions. */
    public static EndpointSlice slice(String name, String service, String pod, String ip, int port,
                                      boolean ready, boolean terminating) {
        return new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default")
                        .addToLabels(SliceEndpoints.SERVICE_NAME_LABEL, service).build())
                .withAddressType("IPv4")
                .addNewPort().withName("grpc").withPort(port).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses(ip).withNewConditions().withReady(ready).withServing(true)
                    .withTerminating(terminating).endConditions()
                    .withNewTargetRef().withKind("Pod").withName(pod).withNamespace("default").endTargetRef()
                    .withNodeName("node-a").withZone("zone-a")
                .endEndpoint()
                .build();
    }
}
