package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a remote cluster contributes to the mesh: its Services, Pods, EndpointSlices and Nodes, each
 * through a shared informer of that cluster's client. Its mesh config (TrafficSplits and the other
 * kinds) is not read: as in Istio's multi-primary install, each control plane takes its config from
 * its own cluster and endpoints from all.
 */
final class ClusterInformers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterInformers.class);

    private final String name;
    private final KubernetesClient client;
    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<EndpointSlice> slices;
    private final SharedIndexInformer<Node> nodes;
    /** When a list or watch last failed (null: never). */
    private volatile java.time.Instant lastFailure;

    /** Starts the informers without waiting for their first list: a remote cluster may be unreachable now. */
    ClusterInformers(String name, KubernetesClient client, Runnable changed) {
        this.name = name;
        this.client = client;
        ResourceEventHandler<Object> onChange = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                changed.run();
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                changed.run();
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                changed.run();
            }
        };
        services = started(client.services().inAnyNamespace().runnableInformer(0), onChange);
        pods = started(client.pods().inAnyNamespace().runnableInformer(0), onChange);
        slices = started(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0), onChange);
        nodes = started(client.nodes().runnableInformer(0), onChange);
    }

    private <T> SharedIndexInformer<T> started(SharedIndexInformer<T> informer, ResourceEventHandler<Object> onChange) {
        String kind = informer.getApiTypeClass().getSimpleName();
        informer.exceptionHandler((started, t) -> {
            lastFailure = java.time.Instant.now();
            LOG.debug("remote cluster {}: watching {}: {}; retrying", name, kind, t.getMessage());
            return true; // keep trying: an unreachable remote keeps its last endpoints for the grace period
        });
        informer.addEventHandler(onChange);
        informer.start();
        return informer;
    }

    String name() {
        return name;
    }

    /** The API server this cluster is read from. */
    String server() {
        return String.valueOf(client.getMasterUrl());
    }

    /**
     * Whether a list or watch has failed and the informers do not all watch now: the cluster does not answer, as
     * opposed to one still listing a large cluster for the first time.
     */
    boolean failing() {
        return lastFailure != null && !watching();
    }

    /** Whether every informer has listed once (before that, a slow first list is not "not answering"). */
    boolean listedOnce() {
        return List.of(services, pods, slices, nodes).stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** Whether every informer has listed once and watches now. */
    boolean watching() {
        return List.of(services, pods, slices, nodes).stream().allMatch(i -> i.hasSynced() && i.isWatching());
    }

    List<Service> services() {
        return services.getStore().list();
    }

    /** Endpoints of this cluster's pods, stamped with its name; {@code qualify} gives remote pods names that cannot collide. */
    SliceEndpoints endpoints(boolean qualify) {
        return new SliceEndpoints(pods.getStore().list(), slices.getStore().list(), nodes.getStore().list(), name, qualify);
    }

    @Override
    public void close() {
        List.of(services, pods, slices, nodes).forEach(SharedIndexInformer::stop);
        client.close();
    }
}
