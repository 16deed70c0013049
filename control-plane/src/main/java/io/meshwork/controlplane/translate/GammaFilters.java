package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTPRoute filters in Envoy's route fields: {@code RequestHeaderModifier} and {@code ResponseHeaderModifier} →
 * {@code request_headers_to_add/remove}, {@code response_headers_to_add/remove} (on the route, or on a weighted
 * cluster for a backendRef's); {@code RequestRedirect} → {@code redirect}; {@code URLRewrite} →
 * {@code host_rewrite_literal}, {@code prefix_rewrite} or {@code regex_rewrite}; {@code RequestMirror} →
 * {@code request_mirror_policies}. Prefixes are rewritten by path segments, as the spec says: where Envoy's plain
 * {@code prefix_rewrite} would not give that (a prefix or replacement of {@code /}), a {@code regex_rewrite} does.
 */
final class GammaFilters {

    private GammaFilters() {
    }

    /** The rule's header modifiers on {@code route}. */
    static void headers(Route.Builder route, HttpRouteFilters filters) {
        if (filters.requestHeaders() != null) {
            route.addAllRequestHeadersToAdd(toAdd(filters.requestHeaders()))
                    .addAllRequestHeadersToRemove(toRemove(filters.requestHeaders()));
        }
        if (filters.responseHeaders() != null) {
            route.addAllResponseHeadersToAdd(toAdd(filters.responseHeaders()))
                    .addAllResponseHeadersToRemove(toRemove(filters.responseHeaders()));
        }
    }

    /** A backendRef's header modifiers on its weighted cluster. */
    static void headers(WeightedCluster.ClusterWeight.Builder cluster, HttpRouteFilters filters) {
        if (filters.requestHeaders() != null) {
            cluster.addAllRequestHeadersToAdd(toAdd(filters.requestHeaders()))
                    .addAllRequestHeadersToRemove(toRemove(filters.requestHeaders()));
        }
        if (filters.responseHeaders() != null) {
            cluster.addAllResponseHeadersToAdd(toAdd(filters.responseHeaders()))
                    .addAllResponseHeadersToRemove(toRemove(filters.responseHeaders()));
        }
    }

    private static List<HeaderValueOption> toAdd(HttpRouteFilters.HeaderModifier modifier) {
        List<HeaderValueOption> options = new java.util.ArrayList<>();
        modifier.set().forEach(h -> options.add(option(h, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)));
        modifier.add().forEach(h -> options.add(option(h, HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)));
        return options;
    }

    private static HeaderValueOption option(HttpRouteFilters.Header header, HeaderValueOption.HeaderAppendAction action) {
        return HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(header.name().toLowerCase(Locale.ROOT)).setValue(header.value()))
                .setAppendAction(action).build();
    }

    private static List<String> toRemove(HttpRouteFilters.HeaderModifier modifier) {
        return modifier.remove().stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }

    /** The rule's URLRewrite and mirrors on {@code action}, for the match whose path is {@code matched}. */
    static void rewriteAndMirror(RouteAction.Builder action, HttpRouteFilters filters, HttpRoute.PathMatch matched,
                                 Map<HttpRouteFilters.Mirror, String> mirrorClusters) {
        HttpRouteFilters.Rewrite rewrite = filters.rewrite();
        if (rewrite != null) {
            if (rewrite.hostname() != null) {
                action.setHostRewriteLiteral(rewrite.hostname());
            }
            if (rewrite.path() != null) {
                PathRewrite path = pathRewrite(rewrite.path(), matched);
                if (path.prefix() != null) {
                    action.setPrefixRewrite(path.prefix());
                } else {
                    action.setRegexRewrite(path.regex());
                }
            }
        }
        mirrorClusters.forEach((mirror, cluster) -> {
            RouteAction.RequestMirrorPolicy.Builder policy = RouteAction.RequestMirrorPolicy.newBuilder().setCluster(cluster);
            if (mirror.numerator() < mirror.denominator()) {
                policy.setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(fraction(mirror)));
            }
            action.addRequestMirrorPolicies(policy);
        });
    }

    private static FractionalPercent fraction(HttpRouteFilters.Mirror mirror) {
        if (mirror.denominator() == 100) {
            return FractionalPercent.newBuilder().setNumerator((int) mirror.numerator())
                    .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
        }
        return FractionalPercent.newBuilder().setNumerator((int) (mirror.numerator() * 1_000_000 / mirror.denominator()))
                .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
    }

    /**
     * The redirect of a rule's RequestRedirect: the port named, else the scheme's well-known one when the scheme
     * changes, else the Service port called or the Gateway listener's (the spec's "listener port"), always explicit so
     * that every proxy agrees.
     */
    static RedirectAction redirect(HttpRouteFilters.Redirect redirect, HttpRoute.PathMatch matched, int port) {
        RedirectAction.Builder action = RedirectAction.newBuilder().setResponseCode(switch (redirect.statusCode()) {
            case 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
            case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
            case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
            case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
            default -> RedirectAction.RedirectResponseCode.FOUND;
        });
        if (redirect.scheme() != null) {
            action.setSchemeRedirect(redirect.scheme());
        }
        if (redirect.hostname() != null) {
            action.setHostRedirect(redirect.hostname());
        }
        int redirectPort = redirect.port() != null ? redirect.port()
                : redirect.scheme() != null ? (redirect.scheme().equals("https") ? 443 : 80) : port;
        action.setPortRedirect(redirectPort);
        if (redirect.path() != null) {
            if (redirect.path().fullPath()) {
                action.setPathRedirect(redirect.path().value());
            } else {
                PathRewrite path = pathRewrite(redirect.path(), matched);
                if (path.prefix() != null) {
                    action.setPrefixRewrite(path.prefix());
                } else {
                    action.setRegexRewrite(path.regex());
                }
            }
        }
        return action.build();
    }

    /** Envoy's form of a path modifier: a {@code prefix_rewrite}, or else a {@code regex_rewrite}. */
    private record PathRewrite(String prefix, RegexMatchAndSubstitute regex) {
    }

    private static PathRewrite pathRewrite(HttpRouteFilters.PathModifier modifier, HttpRoute.PathMatch matched) {
        String value = modifier.value();
        if (modifier.fullPath()) {
            return new PathRewrite(null, RegexMatchAndSubstitute.newBuilder().setPattern(EnvoyProtos.regex("^/.*$"))
                    .setSubstitution(value).build());
        }
        String replacement = value.length() > 1 && value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        String prefix = matched.value();
        if (!prefix.equals("/") && !replacement.equals("/")) {
            return new PathRewrite(replacement, null); // /prefix/x with /new: /new/x, as the spec says
        }
        // The matched prefix and its slashes give way to the replacement and one slash: /strip/x with / is /x.
        String pattern = prefix.equals("/") ? "^/" : "^" + literal(prefix) + "/*";
        return new PathRewrite(null, RegexMatchAndSubstitute.newBuilder().setPattern(EnvoyProtos.regex(pattern))
                .setSubstitution(replacement.equals("/") ? "/" : replacement + "/").build());
    }

    /** {@code text} as an RE2 regex matching exactly it. */
    static String literal(String text) {
        StringBuilder regex = new StringBuilder();
        for (char c : text.toCharArray()) {
            if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                regex.append('\\');
            }
            regex.append(c);
        }
        return regex.toString();
    }
}
