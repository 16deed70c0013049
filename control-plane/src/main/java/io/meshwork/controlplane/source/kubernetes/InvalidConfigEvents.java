package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records why an object was not applied as a Kubernetes Event on that object (reason
 * {@code InvalidConfig}, type Warning, the same one line local mode logs), once per version of the
 * object and message: a problem that stays across rebuilds is not recorded again.
 */
final class InvalidConfigEvents {

    static final String REASON = "InvalidConfig";
    static final String COMPONENT = "meshwork-control-plane";
    private static final Logger LOG = LoggerFactory.getLogger(InvalidConfigEvents.class);

    private final KubernetesClient client;
    private Set<String> recorded = Set.of();
    private Set<String> current = new HashSet<>();

    InvalidConfigEvents(KubernetesClient client) {
        this.client = client;
    }

    /** Records {@code message} on {@code object} unless this version of it already has it. */
    void record(HasMetadata object, String message) {
        String key = object.getKind() + "\n" + object.getMetadata().getNamespace() + "\n" + object.getMetadata().getName()
                + "\n" + object.getMetadata().getResourceVersion() + "\n" + message;
        current.add(key);
        if (recorded.contains(key)) {
            return;
        }
        Instant now = Instant.now();
        String namespace = object.getMetadata().getNamespace();
        Event event = new EventBuilder()
                .withNewMetadata()
                    .withName(object.getMetadata().getName() + "." + Long.toHexString(now.toEpochMilli() * 1000 + (System.nanoTime() % 1000)))
                    .withNamespace(namespace)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(object.getApiVersion())
                        .withKind(object.getKind()).withNamespace(namespace).withName(object.getMetadata().getName())
                        .withUid(object.getMetadata().getUid()).withResourceVersion(object.getMetadata().getResourceVersion())
                        .build())
                .withReason(REASON)
                .withMessage(message)
                .withType("Warning")
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .withFirstTimestamp(now.toString())
                .withLastTimestamp(now.toString())
                .withCount(1)
                .build();
        try {
            client.v1().events().inNamespace(namespace).resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.warn("cannot record Event {} on {} {}/{}: {}", REASON, object.getKind().toLowerCase(Locale.ROOT), namespace,
                    object.getMetadata().getName(), e.getMessage());
        }
    }

    /** Ends one rebuild: problems not seen in it are forgotten, so they are recorded again if they come back. */
    void endRound() {
        recorded = current;
        current = new HashSet<>();
    }
}
