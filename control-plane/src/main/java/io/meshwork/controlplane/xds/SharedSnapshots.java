package io.meshwork.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Builds the library's {@link Snapshot} of each group, wrapping each resource instance in its
 * {@link VersionedResource} once, not once per group. {@code Snapshot.create} wraps every resource
 * of every group anew, and the wrapper's version is a SHA-256 of the resource's class and hash code:
 * 100 sidecars of a 500-service mesh cost 100,000 SHA-256s per mesh change, although the groups share
 * all but their inbound resources. The snapshots are the same as {@code Snapshot.create}'s (equal
 * resources, per-resource and per-type versions). Keep one per mesh snapshot: it holds the wrappers of
 * every resource it has seen. Safe to use from several threads.
 */
final class SharedSnapshots {

    // Weak keys compare by identity: comparing large resources field by field would cost what it saves.
    private final Cache<Message, VersionedResource<?>> versioned = CacheBuilder.newBuilder().weakKeys().build();

    /** The snapshot of {@code resources}, as {@code Snapshot.create} with the group's per-type versions makes it. */
    Snapshot create(GroupResources resources) {
        GroupResources.TypeVersions v = resources.versions();
        return new Shared(SnapshotResources.create(wrapped(resources.clusters()), v.clusters()),
                SnapshotResources.create(wrapped(resources.endpoints()), v.endpoints()),
                SnapshotResources.create(wrapped(resources.listeners()), v.listeners()),
                SnapshotResources.create(wrapped(resources.routes()), v.routes()),
                SnapshotResources.create(wrapped(resources.secrets()), v.secrets()));
    }

    private List<VersionedResource<?>> wrapped(List<? extends Message> resources) {
        return resources.stream().<VersionedResource<?>>map(this::wrapped).toList();
    }

    private VersionedResource<?> wrapped(Message resource) {
        try {
            return versioned.get(resource, () -> VersionedResource.create(resource));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot version " + resource.getDescriptorForType().getFullName(), e.getCause());
        }
    }

    /** A snapshot of already wrapped resources (the library's own implementation is package-private). */
    private static final class Shared extends Snapshot {
        private final SnapshotResources<Cluster> clusters;
        private final SnapshotResources<ClusterLoadAssignment> endpoints;
        private final SnapshotResources<Listener> listeners;
        private final SnapshotResources<RouteConfiguration> routes;
        private final SnapshotResources<Secret> secrets;

        Shared(SnapshotResources<Cluster> clusters, SnapshotResources<ClusterLoadAssignment> endpoints,
               SnapshotResources<Listener> listeners, SnapshotResources<RouteConfiguration> routes,
               SnapshotResources<Secret> secrets) {
            this.clusters = clusters;
            this.endpoints = endpoints;
            this.listeners = listeners;
            this.routes = routes;
            this.secrets = secrets;
        }

        @Override
        public SnapshotResources<Cluster> clusters() {
            return clusters;
        }

        @Override
        public SnapshotResources<ClusterLoadAssignment> endpoints() {
            return endpoints;
        }

        @Override
        public SnapshotResources<Listener> listeners() {
            return listeners;
        }

        @Override
        public SnapshotResources<RouteConfiguration> routes() {
            return routes;
        }

        @Override
        public SnapshotResources<Secret> secrets() {
            return secrets;
        }

        /**
         * The library's own: javac does not see it as implementing the base class's, whose generic return type
         * differs ({@code VersionedResource<?>} against {@code VersionedResource<? extends Message>}), so this
         * raw signature stands for both.
         */
        @Override
        @SuppressWarnings("rawtypes")
        public Map versionedResources(Resources.ResourceType type) {
            return super.versionedResources(type);
        }
    }
}
