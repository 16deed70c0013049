package io.meshwork.controlplane.model;

import java.util.List;

/**
 * The filters of an HTTPRoute rule, or of one of its backendRefs (header modifiers only there): what happens to a
 * request and its response besides routing, each at most once but mirrors. Null fields are filters not given.
 *
 * @param requestHeaders {@code RequestHeaderModifier}
 * @param responseHeaders {@code ResponseHeaderModifier}
 * @param redirect {@code RequestRedirect}: answered by the sidecar, never sent to a backend
 * @param rewrite {@code URLRewrite}
 * @param mirrors {@code RequestMirror}s: copies of the request sent to other Services, their answers dropped
 */
public record HttpRouteFilters(HeaderModifier requestHeaders, HeaderModifier responseHeaders, Redirect redirect,
                               Rewrite rewrite, List<Mirror> mirrors) {

    public static final HttpRouteFilters NONE = new HttpRouteFilters(null, null, null, null, List.of());

    public HttpRouteFilters {
        mirrors = List.copyOf(mirrors);
    }

    public boolean isEmpty() {
        return equals(NONE);
    }

    /** One header: its name as written (HTTP compares names without case) and value. */
    public record Header(String name, String value) {
    }

    /** {@code set} replaces a header's values, {@code add} appends one more, {@code remove} takes it out. */
    public record HeaderModifier(List<Header> set, List<Header> add, List<String> remove) {
        public HeaderModifier {
            set = List.copyOf(set);
            add = List.copyOf(add);
            remove = List.copyOf(remove);
        }
    }

    /** A path modifier: {@code ReplaceFullPath} (the whole path) or {@code ReplacePrefixMatch} (the matched prefix). */
    public record PathModifier(boolean fullPath, String value) {
    }

    /**
     * {@code RequestRedirect}; null fields keep the request's own ({@code port} null: the scheme's well-known port when
     * {@code scheme} is given, else the Service port called).
     */
    public record Redirect(String scheme, String hostname, Integer port, PathModifier path, int statusCode) {
    }

    /** {@code URLRewrite}; null fields change nothing. */
    public record Rewrite(String hostname, PathModifier path) {
    }

    /** {@code RequestMirror}: a share ({@code numerator}/{@code denominator}; all by default) of requests copied. */
    public record Mirror(HttpRoute.BackendRef backend, long numerator, long denominator) {
    }
}
