package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * An object from the API server as the document local mode would read from a file: its JSON (YAML's
 * subset), named {@code <Kind> <namespace>/<name>}. Serialized once per resourceVersion, so an
 * unchanged object costs nothing on the next rebuild (and the loader, seeing the same text, does
 * not parse it again).
 */
final class ObjectDocuments {

    private record Serialized(String resourceVersion, String text) {
    }

    private final KubernetesSerialization serialization;
    private final Map<String, Serialized> byUid = new HashMap<>();

    ObjectDocuments(KubernetesSerialization serialization) {
        this.serialization = serialization;
    }

    static String documentName(HasMetadata object) {
        return object.getKind() + " " + object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }

    /** Invalid Services are common in a cluster (UDP ports, kube-system): logged, but only mesh config gets Events. */
    static boolean recordsEvents(HasMetadata object) {
        return !"Service".equals(object.getKind());
    }

    String text(HasMetadata object) {
        String uid = object.getMetadata().getUid() != null ? object.getMetadata().getUid() : documentName(object);
        String version = String.valueOf(object.getMetadata().getResourceVersion());
        Serialized cached = byUid.get(uid);
        if (cached == null || !cached.resourceVersion().equals(version)) {
            cached = new Serialized(version, serialization.asJson(object));
            byUid.put(uid, cached);
        }
        return cached.text();
    }

    /** Forgets the objects that are gone. */
    void retainOnly(Collection<HasMetadata> objects) {
        Set<String> uids = new HashSet<>();
        objects.forEach(o -> uids.add(o.getMetadata().getUid() != null ? o.getMetadata().getUid() : documentName(o)));
        byUid.keySet().retainAll(uids);
    }
}
