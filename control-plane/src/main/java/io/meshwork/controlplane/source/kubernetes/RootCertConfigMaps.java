package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the mesh's root certificates as the ConfigMap {@code meshwork-ca-root-cert} (key {@code root-cert.pem}) in
 * every namespace, as Istio publishes {@code istio-ca-root-cert}: the injector mounts it into each sidecar, which
 * trusts the CA on 15012 through it. A namespace created later gets it at once; a new bundle (a root rotation) is
 * written to all; a ConfigMap someone edits or deletes is put back when its namespace next changes or the bundle does.
 * Only the control plane's leader writes ({@link #follower} and {@link #leading}); becoming leader writes every
 * namespace that lacks the current bundle.
 */
public final class RootCertConfigMaps implements AutoCloseable {

    /** The ConfigMap's name and key, as the injection template mounts them. */
    public static final String NAME = "meshwork-ca-root-cert";
    public static final String KEY = "root-cert.pem";

    private static final Logger LOG = LoggerFactory.getLogger(RootCertConfigMaps.class);

    private final KubernetesClient client;
    private volatile String rootsPem;
    private volatile boolean leading = true;
    private SharedIndexInformer<Namespace> namespaces;

    /** A publisher that writes from the start (one replica, or tests). */
    public RootCertConfigMaps(KubernetesClient client, String rootsPem) {
        this.client = client;
        this.rootsPem = Objects.requireNonNull(rootsPem);
    }

    /** As the constructor, writing nothing until {@link #leading(boolean) leading(true)}. */
    public static RootCertConfigMaps follower(KubernetesClient client, String rootsPem) {
        RootCertConfigMaps publisher = new RootCertConfigMaps(client, rootsPem);
        publisher.leading = false;
        return publisher;
    }

    /** Whether this replica writes; becoming leader brings every namespace up to date at once. */
    public void leading(boolean leading) {
        this.leading = leading;
        if (leading) {
            update(rootsPem);
        }
    }

    /** Writes the ConfigMap into every namespace there is, and into each one created from now on. */
    public RootCertConfigMaps start() {
        namespaces = client.namespaces().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Namespace namespace) {
                publish(namespace.getMetadata().getName());
            }

            @Override
            public void onUpdate(Namespace before, Namespace after) {
                publish(after.getMetadata().getName());
            }

            @Override
            public void onDelete(Namespace namespace, boolean finalStateUnknown) {
                // its ConfigMaps go with it
            }
        });
        LOG.info("publishing the root certificates as ConfigMap {} in every namespace ({} so far)", NAME,
                namespaces.getStore().list().size());
        return this;
    }

    /** A new bundle (old and new roots during a rotation): written to every namespace. */
    public void update(String newRootsPem) {
        rootsPem = Objects.requireNonNull(newRootsPem);
        SharedIndexInformer<Namespace> namespaces = this.namespaces;
        if (namespaces != null) {
            namespaces.getStore().list().forEach(ns -> publish(ns.getMetadata().getName()));
        }
    }

    private void publish(String namespace) {
        if (!leading) {
            return;
        }
        ConfigMap wanted = new ConfigMapBuilder().withNewMetadata().withName(NAME).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "meshwork").endMetadata()
                .addToData(KEY, rootsPem).build();
        try {
            ConfigMap current = client.configMaps().inNamespace(namespace).withName(NAME).get();
            if (current != null && current.getData() != null && rootsPem.equals(current.getData().get(KEY))) {
                return;
            }
            client.configMaps().inNamespace(namespace).resource(wanted).createOr(NonDeletingOperation::update);
            LOG.info("root certificates written to ConfigMap {}/{}", namespace, NAME);
        } catch (KubernetesClientException e) {
            // a terminating namespace refuses new objects; the next change of the namespace tries again
            LOG.warn("cannot write ConfigMap {}/{}: {}", namespace, NAME, e.getMessage());
        }
    }

    @Override
    public void close() {
        if (namespaces != null) {
            namespaces.close();
        }
    }
}
