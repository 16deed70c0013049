package io.meshwork.proxy.xds;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshwork.proxy.filter.rbac.Rbac;
import io.meshwork.proxy.filter.rbac.RbacHttpFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Envoy's RBAC config into the sidecar's {@link Rbac}: actions ALLOW and DENY; permissions any,
 * url_path, header, and_rules, or_rules, not_rule; principals any, authenticated.principal_name,
 * and_ids, or_ids, not_id. Anything else is refused by name, so that a policy never silently allows
 * more than it says.
 */
final class RbacConverter {

    private RbacConverter() {
    }

    /** An HTTP filter before the router; only {@code envoy.filters.http.rbac} is known. */
    static io.meshwork.proxy.filter.HttpFilter httpFilter(HttpFilter filter, String where) throws InvalidResourceException {
        if (!filter.getTypedConfig().is(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)) {
            throw new InvalidResourceException(where + ".typed_config has unsupported type "
                    + filter.getTypedConfig().getTypeUrl() + " (envoy.filters.http.rbac, then envoy.filters.http.router)");
        }
        var config = ResourceConverter.unpack(filter.getTypedConfig(),
                io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class, where);
        if (!config.hasRules()) {
            throw new InvalidResourceException(where + ".typed_config(RBAC).rules is missing");
        }
        return new RbacHttpFilter(rbac(config.getRules(), where + ".typed_config(RBAC).rules"));
    }

    static Rbac rbac(RBAC rules, String where) throws InvalidResourceException {
        boolean allow = switch (rules.getAction()) {
            case ALLOW -> true;
            case DENY -> false;
            default -> throw new InvalidResourceException(where + ".action " + rules.getAction()
                    + " is not supported (ALLOW, DENY)");
        };
        Map<String, Rbac.Policy> policies = new LinkedHashMap<>();
        for (Map.Entry<String, io.envoyproxy.envoy.config.rbac.v3.Policy> entry
                : new TreeMap<>(rules.getPoliciesMap()).entrySet()) {
            String field = where + ".policies[\"" + entry.getKey() + "\"]";
            List<Rbac.Permission> permissions = new ArrayList<>();
            for (int i = 0; i < entry.getValue().getPermissionsCount(); i++) {
                permissions.add(permission(entry.getValue().getPermissions(i), field + ".permissions[" + i + "]"));
            }
            List<Rbac.Principal> principals = new ArrayList<>();
            for (int i = 0; i < entry.getValue().getPrincipalsCount(); i++) {
                principals.add(principal(entry.getValue().getPrincipals(i), field + ".principals[" + i + "]"));
            }
            policies.put(entry.getKey(), new Rbac.Policy(permissions, principals));
        }
        return new Rbac(allow, policies);
    }

    private static Rbac.Permission permission(Permission permission, String where) throws InvalidResourceException {
        return switch (permission.getRuleCase()) {
            case ANY -> new Rbac.Permission.Any();
            case URL_PATH -> {
                StringMatcher path = permission.getUrlPath().getPath();
                yield switch (path.getMatchPatternCase()) {
                    case EXACT -> new Rbac.Permission.Path(null, path.getExact(), null);
                    case PREFIX -> new Rbac.Permission.Path(null, null, path.getPrefix());
                    case SAFE_REGEX -> new Rbac.Permission.Path(ResourceConverter.regex(path.getSafeRegex().getRegex(),
                            where + ".url_path.path.safe_regex.regex"), null, null);
                    default -> throw new InvalidResourceException(where + ".url_path.path has unsupported pattern "
                            + path.getMatchPatternCase());
                };
            }
            case HEADER -> new Rbac.Permission.Header(ResourceConverter.header(permission.getHeader(), where + ".header"));
            case AND_RULES -> new Rbac.Permission.And(permissions(permission.getAndRules().getRulesList(),
                    where + ".and_rules.rules"));
            case OR_RULES -> new Rbac.Permission.Or(permissions(permission.getOrRules().getRulesList(),
                    where + ".or_rules.rules"));
            case NOT_RULE -> new Rbac.Permission.Not(permission(permission.getNotRule(), where + ".not_rule"));
            default -> throw new InvalidResourceException(where + " has unsupported rule " + permission.getRuleCase());
        };
    }

    private static List<Rbac.Permission> permissions(List<Permission> list, String where) throws InvalidResourceException {
        List<Rbac.Permission> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            result.add(permission(list.get(i), where + "[" + i + "]"));
        }
        return result;
    }

    private static Rbac.Principal principal(Principal principal, String where) throws InvalidResourceException {
        return switch (principal.getIdentifierCase()) {
            case ANY -> new Rbac.Principal.Any();
            case AUTHENTICATED -> {
                StringMatcher name = principal.getAuthenticated().getPrincipalName();
                yield switch (name.getMatchPatternCase()) {
                    case EXACT -> new Rbac.Principal.Authenticated(name.getExact(), null, null);
                    case PREFIX -> new Rbac.Principal.Authenticated(null, name.getPrefix(), null);
                    case SAFE_REGEX -> new Rbac.Principal.Authenticated(null, null, ResourceConverter.regex(
                            name.getSafeRegex().getRegex(), where + ".authenticated.principal_name.safe_regex.regex"));
                    case MATCHPATTERN_NOT_SET -> new Rbac.Principal.Authenticated(null, "", null);
                    default -> throw new InvalidResourceException(where + ".authenticated.principal_name has unsupported "
                            + "pattern " + name.getMatchPatternCase());
                };
            }
            case AND_IDS -> new Rbac.Principal.And(principals(principal.getAndIds().getIdsList(), where + ".and_ids.ids"));
            case OR_IDS -> new Rbac.Principal.Or(principals(principal.getOrIds().getIdsList(), where + ".or_ids.ids"));
            case NOT_ID -> new Rbac.Principal.Not(principal(principal.getNotId(), where + ".not_id"));
            default -> throw new InvalidResourceException(where + " has unsupported identifier "
                    + principal.getIdentifierCase());
        };
    }

    private static List<Rbac.Principal> principals(List<Principal> list, String where) throws InvalidResourceException {
        List<Rbac.Principal> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            result.add(principal(list.get(i), where + "[" + i + "]"));
        }
        return result;
    }
}
