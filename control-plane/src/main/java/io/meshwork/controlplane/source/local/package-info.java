/**
 * Local mode: the mesh config as YAML files in one folder, read into a {@link io.meshwork.controlplane.model.MeshSnapshot}.
 *
 * <p>Start at {@link io.meshwork.controlplane.source.local.LocalConfigWatcher} (folder watch, debounce, hand-off),
 * then {@link io.meshwork.controlplane.source.local.LocalConfigLoader} (files → documents → objects → snapshot,
 * keeping the last good objects). Each kind has its own parser ({@code ServiceParser}, {@code WorkloadParser},
 * {@code TrafficSplitParser}, {@code HttpRouteGroupParser}); references between objects are checked by
 * {@code TrafficSplitReferences}, endpoints picked by {@code EndpointResolver}.
 */
package io.meshwork.controlplane.source.local;
