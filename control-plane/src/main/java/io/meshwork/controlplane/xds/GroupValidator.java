package io.meshwork.controlplane.xds;

import java.util.List;

/**
 * Checks a generated group before it is served; a group with problems is never sent. Called for
 * several groups at once from {@link AdsServer}'s pool threads: it must be thread-safe.
 */
@FunctionalInterface
public interface GroupValidator {

    /** Accepts every group; {@link AdsServer} still runs java-control-plane's reference check. */
    GroupValidator NONE = (group, resources) -> List.of();

    /** One human-readable line per problem, each naming the resource and the field; empty when valid. */
    List<String> problems(String groupKey, GroupResources resources);
}
