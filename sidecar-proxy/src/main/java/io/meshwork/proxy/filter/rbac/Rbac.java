package io.meshwork.proxy.filter.rbac;

import com.google.re2j.Pattern;
import io.meshwork.proxy.route.RouteMatch;
import io.meshwork.proxy.route.Router;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Map;

/**
 * Envoy's RBAC rules, the part Meshwork's control plane writes and a reader of Envoy's docs expects:
 * an action (ALLOW or DENY) and named policies, each matching when one of its permissions and one of
 * its principals match. ALLOW lets through what some policy matches; DENY refuses it.
 */
public record Rbac(boolean allow, Map<String, Policy> policies) {

    public Rbac {
        policies = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(policies));
    }

    /** The outcome for one request (or connection, when {@code request} is null) and why. */
    public record Decision(boolean allowed, String policy) {
    }

    public Decision decide(String peerIdentity, HttpRequest request) {
        for (Map.Entry<String, Policy> entry : policies.entrySet()) {
            if (entry.getValue().matches(peerIdentity, request)) {
                return new Decision(allow, entry.getKey());
            }
        }
        return new Decision(!allow, null);
    }

    /** One named policy: any of the permissions, from any of the principals. */
    public record Policy(List<Permission> permissions, List<Principal> principals) {
        public Policy {
            permissions = List.copyOf(permissions);
            principals = List.copyOf(principals);
        }

        boolean matches(String peerIdentity, HttpRequest request) {
            // Indexed loops: this runs on every request of a protected workload, and streams allocate.
            boolean principal = false;
            for (int i = 0; i < principals.size() && !principal; i++) {
                principal = principals.get(i).matches(peerIdentity);
            }
            if (!principal) {
                return false;
            }
            for (int i = 0; i < permissions.size(); i++) {
                if (permissions.get(i).matches(request)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What a request must be. On a connection (no request), only {@code any} and rules made of it hold. */
    public sealed interface Permission {
        boolean matches(HttpRequest request);

        record Any() implements Permission {
            public boolean matches(HttpRequest request) {
                return true;
            }
        }

        record Path(Pattern regex, String exact, String prefix) implements Permission {
            public boolean matches(HttpRequest request) {
                if (request == null) {
                    return false;
                }
                String uri = request.uri();
                int query = uri.indexOf('?');
                String path = query < 0 ? uri : uri.substring(0, query);
                return regex != null ? regex.matcher(path).matches()
                        : exact != null ? path.equals(exact) : path.startsWith(prefix);
            }
        }

        record Header(RouteMatch.HeaderMatch match) implements Permission {
            public boolean matches(HttpRequest request) {
                return request != null && Router.headerMatches(match, request.method().name(), request.headers());
            }
        }

        record And(List<Permission> rules) implements Permission {
            public boolean matches(HttpRequest request) {
                return rules.stream().allMatch(r -> r.matches(request));
            }
        }

        record Or(List<Permission> rules) implements Permission {
            public boolean matches(HttpRequest request) {
                return rules.stream().anyMatch(r -> r.matches(request));
            }
        }

        record Not(Permission rule) implements Permission {
            public boolean matches(HttpRequest request) {
                return !rule.matches(request);
            }
        }
    }

    /** Who the peer must be: its SPIFFE ID from mutual TLS (none on plaintext). */
    public sealed interface Principal {
        boolean matches(String peerIdentity);

        record Any() implements Principal {
            public boolean matches(String peerIdentity) {
                return true;
            }
        }

        /** {@code authenticated.principal_name}: exact, prefix or regex on the verified URI SAN. */
        record Authenticated(String exact, String prefix, Pattern regex) implements Principal {
            public boolean matches(String peerIdentity) {
                if (peerIdentity == null) {
                    return false;
                }
                return exact != null ? peerIdentity.equals(exact)
                        : prefix != null ? peerIdentity.startsWith(prefix) : regex.matcher(peerIdentity).matches();
            }
        }

        record And(List<Principal> ids) implements Principal {
            public boolean matches(String peerIdentity) {
                return ids.stream().allMatch(p -> p.matches(peerIdentity));
            }
        }

        record Or(List<Principal> ids) implements Principal {
            public boolean matches(String peerIdentity) {
                return ids.stream().anyMatch(p -> p.matches(peerIdentity));
            }
        }

        record Not(Principal id) implements Principal {
            public boolean matches(String peerIdentity) {
                return !id.matches(peerIdentity);
            }
        }
    }
}
