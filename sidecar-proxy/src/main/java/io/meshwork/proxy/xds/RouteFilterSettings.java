package io.meshwork.proxy.xds;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.meshwork.proxy.route.HeaderMutation;
import io.meshwork.proxy.route.PathRewrite;
import io.meshwork.proxy.route.Redirect;
import io.meshwork.proxy.route.RouteFilters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A route's request and response rewriting from Envoy's fields: {@code *_headers_to_add/remove} (of a route or a
 * weighted cluster), {@code prefix_rewrite}, {@code regex_rewrite}, {@code host_rewrite_literal},
 * {@code request_mirror_policies} and {@code redirect}. What the sidecar cannot do as asked (a header value from a
 * formatter, a host rewrite from a header, a mirror fraction from the runtime only) is NACKed naming the field.
 */
final class RouteFilterSettings {

    private RouteFilterSettings() {
    }

    static HeaderMutation headers(List<HeaderValueOption> add, List<String> remove, String where)
            throws InvalidResourceException {
        if (add.isEmpty() && remove.isEmpty()) {
            return HeaderMutation.NONE;
        }
        List<HeaderMutation.Addition> additions = new ArrayList<>();
        for (int i = 0; i < add.size(); i++) {
            HeaderValueOption option = add.get(i);
            String name = option.getHeader().getKey().toLowerCase(Locale.ROOT);
            if (name.isEmpty() || name.startsWith(":")) {
                throw new InvalidResourceException(where + "_to_add[" + i + "].header.key " + ResourceConverter.quoted(name)
                        + " is empty or a pseudo-header");
            }
            if (option.getHeader().getValue().contains("%")) {
                throw new InvalidResourceException(where + "_to_add[" + i + "].header.value: formatter commands (%...%) "
                        + "are not supported");
            }
            boolean append = switch (option.getAppendAction()) {
                case APPEND_IF_EXISTS_OR_ADD -> !option.hasAppend() || option.getAppend().getValue();
                case OVERWRITE_IF_EXISTS_OR_ADD -> false;
                default -> throw new InvalidResourceException(where + "_to_add[" + i + "].append_action "
                        + option.getAppendAction() + " is not supported");
            };
            additions.add(new HeaderMutation.Addition(name, option.getHeader().getValue(), append));
        }
        return new HeaderMutation(additions, remove.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
    }

    static RouteFilters filters(io.envoyproxy.envoy.config.route.v3.Route route, String where)
            throws InvalidResourceException {
        RouteAction action = route.getRoute();
        HeaderMutation request = headers(route.getRequestHeadersToAddList(), route.getRequestHeadersToRemoveList(),
                where + ".request_headers");
        HeaderMutation response = headers(route.getResponseHeadersToAddList(), route.getResponseHeadersToRemoveList(),
                where + ".response_headers");
        PathRewrite path = null;
        if (!action.getPrefixRewrite().isEmpty()) {
            path = PathRewrite.prefix(action.getPrefixRewrite());
        } else if (action.hasRegexRewrite()) {
            path = regexRewrite(action.getRegexRewrite(), where + ".route.regex_rewrite");
        }
        if (action.getHostRewriteSpecifierCase() != RouteAction.HostRewriteSpecifierCase.HOSTREWRITESPECIFIER_NOT_SET
                && action.getHostRewriteSpecifierCase() != RouteAction.HostRewriteSpecifierCase.HOST_REWRITE_LITERAL) {
            throw new InvalidResourceException(where + ".route." + action.getHostRewriteSpecifierCase().name()
                    .toLowerCase(Locale.ROOT) + " is not supported (host_rewrite_literal)");
        }
        String host = action.getHostRewriteLiteral().isEmpty() ? null : action.getHostRewriteLiteral();
        List<RouteFilters.MirrorPolicy> mirrors = new ArrayList<>();
        for (int i = 0; i < action.getRequestMirrorPoliciesCount(); i++) {
            RouteAction.RequestMirrorPolicy mirror = action.getRequestMirrorPolicies(i);
            String field = where + ".route.request_mirror_policies[" + i + "]";
            if (mirror.getCluster().isEmpty()) {
                throw new InvalidResourceException(field + ".cluster is empty (cluster_header is not supported)");
            }
            if (mirror.getRuntimeFraction().hasDefaultValue() && !mirror.getRuntimeFraction().getRuntimeKey().isEmpty()) {
                throw new InvalidResourceException(field + ".runtime_fraction.runtime_key is not supported");
            }
            mirrors.add(new RouteFilters.MirrorPolicy(mirror.getCluster(), mirror.hasRuntimeFraction()
                    ? perMillion(mirror.getRuntimeFraction().getDefaultValue()) : 1_000_000));
        }
        if (request.isEmpty() && response.isEmpty() && path == null && host == null && mirrors.isEmpty()) {
            return RouteFilters.NONE;
        }
        return new RouteFilters(request, response, path, host, mirrors);
    }

    private static int perMillion(FractionalPercent fraction) {
        long scale = switch (fraction.getDenominator()) {
            case HUNDRED -> 10_000;
            case TEN_THOUSAND -> 100;
            default -> 1;
        };
        return (int) Math.min(1_000_000, Integer.toUnsignedLong(fraction.getNumerator()) * scale);
    }

    private static PathRewrite regexRewrite(RegexMatchAndSubstitute rewrite, String where) throws InvalidResourceException {
        return PathRewrite.regex(ResourceConverter.regex(rewrite.getPattern().getRegex(), where + ".pattern.regex"),
                rewrite.getSubstitution());
    }

    static Redirect redirect(RedirectAction redirect, String where) throws InvalidResourceException {
        String scheme = switch (redirect.getSchemeRewriteSpecifierCase()) {
            case HTTPS_REDIRECT -> redirect.getHttpsRedirect() ? "https" : null;
            case SCHEME_REDIRECT -> redirect.getSchemeRedirect().toLowerCase(Locale.ROOT);
            default -> null;
        };
        PathRewrite rewrite = null;
        String pathRedirect = null;
        switch (redirect.getPathRewriteSpecifierCase()) {
            case PATH_REDIRECT -> pathRedirect = redirect.getPathRedirect();
            case PREFIX_REWRITE -> rewrite = PathRewrite.prefix(redirect.getPrefixRewrite());
            case REGEX_REWRITE -> rewrite = regexRewrite(redirect.getRegexRewrite(), where + ".redirect.regex_rewrite");
            default -> {
            }
        }
        int status = switch (redirect.getResponseCode()) {
            case MOVED_PERMANENTLY -> 301;
            case FOUND -> 302;
            case SEE_OTHER -> 303;
            case TEMPORARY_REDIRECT -> 307;
            case PERMANENT_REDIRECT -> 308;
            default -> throw new InvalidResourceException(where + ".redirect.response_code "
                    + redirect.getResponseCodeValue() + " is not a redirect code Envoy knows");
        };
        if (redirect.getPortRedirect() > 65535) {
            throw new InvalidResourceException(where + ".redirect.port_redirect " + redirect.getPortRedirect()
                    + " is not a port");
        }
        return new Redirect(scheme, redirect.getHostRedirect().isEmpty() ? null : redirect.getHostRedirect(),
                redirect.getPortRedirect(), pathRedirect, rewrite, status, redirect.getStripQuery());
    }
}
