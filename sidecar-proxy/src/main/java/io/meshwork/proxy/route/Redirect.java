package io.meshwork.proxy.route;

/**
 * A route's {@code redirect} (Envoy's {@code RedirectAction}): the sidecar answers with {@code status} and a
 * {@code Location} made of the request's URL with the scheme, host, port and path replaced where the action says.
 * A port is left out of the Location when it is its scheme's well-known one (80, 443).
 *
 * @param scheme null: the request's
 * @param host null: the request's host (without its port)
 * @param port 0: the request's port (none when the request named none)
 * @param pathRedirect the whole new path, or null
 * @param pathRewrite a prefix or regex rewrite of the request's path, or null
 */
public record Redirect(String scheme, String host, int port, String pathRedirect, PathRewrite pathRewrite, int status,
                       boolean stripQuery) {

    /** The Location for a request of {@code scheme} to {@code authority} and {@code pathAndQuery} that took {@code match}. */
    public String location(String requestScheme, String authority, String pathAndQuery, RouteMatch match) {
        String newScheme = scheme != null ? scheme : requestScheme;
        String requestHost = Router.stripPort(authority);
        String requestPort = requestHost.length() < authority.length() ? authority.substring(requestHost.length() + 1) : "";
        String newHost = host != null ? host : requestHost;
        String newPort = port > 0 ? Integer.toString(port) : requestPort;
        if ((newScheme.equals("http") && newPort.equals("80")) || (newScheme.equals("https") && newPort.equals("443"))) {
            newPort = "";
        }
        int queryStart = pathAndQuery.indexOf('?');
        String query = queryStart < 0 || stripQuery ? "" : pathAndQuery.substring(queryStart);
        String path;
        if (pathRedirect != null) {
            path = pathRedirect.contains("?") ? pathRedirect : pathRedirect + query;
        } else if (pathRewrite != null) {
            path = pathRewrite.apply(stripQuery && queryStart >= 0 ? pathAndQuery.substring(0, queryStart) : pathAndQuery,
                    match);
        } else {
            path = (queryStart < 0 ? pathAndQuery : pathAndQuery.substring(0, queryStart)) + query;
        }
        return newScheme + "://" + newHost + (newPort.isEmpty() ? "" : ":" + newPort) + path;
    }
}
