package io.meshwork.proxy.route;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Envoy's {@code *_headers_to_add} and {@code *_headers_to_remove} of a route or weighted cluster, applied to a
 * request's or response's headers: the removals first, then each addition, which replaces the header's values
 * ({@code OVERWRITE_IF_EXISTS_OR_ADD}) or appends one more ({@code APPEND_IF_EXISTS_OR_ADD}), as Envoy does.
 */
public record HeaderMutation(List<Addition> additions, List<String> removals) {

    public static final HeaderMutation NONE = new HeaderMutation(List.of(), List.of());

    public HeaderMutation {
        additions = List.copyOf(additions);
        removals = List.copyOf(removals);
    }

    /** One header to add; {@code append} false replaces the values it has. */
    public record Addition(String name, String value, boolean append) {
    }

    public boolean isEmpty() {
        return additions.isEmpty() && removals.isEmpty();
    }

    public void apply(HttpHeaders headers) {
        for (int i = 0; i < removals.size(); i++) {
            headers.remove(removals.get(i));
        }
        for (int i = 0; i < additions.size(); i++) {
            Addition addition = additions.get(i);
            if (addition.append()) {
                headers.add(addition.name(), addition.value());
            } else {
                headers.set(addition.name(), addition.value());
            }
        }
    }
}
