package io.meshwork.proxy.filter.rbac;

import io.meshwork.proxy.filter.FilterContext;
import io.meshwork.proxy.filter.HttpFilter;
import io.meshwork.proxy.filter.LocalReply;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code envoy.filters.http.rbac}: a request its rules refuse gets 403 with a body that names the
 * source identity and why (Envoy says only "RBAC: access denied"); each decision is counted by source
 * and destination identity.
 */
public record RbacHttpFilter(Rbac rules) implements HttpFilter {

    @Override
    public LocalReply onRequest(HttpRequest request, FilterContext context) {
        Rbac.Decision decision = rules.decide(context.peerIdentity(), request);
        context.metrics().authorization(context.peerIdentity(), context.ownIdentity(), decision.allowed());
        if (decision.allowed()) {
            return null;
        }
        return new LocalReply(HttpResponseStatus.FORBIDDEN, "RBAC: access denied: " + explain(rules, decision,
                context.peerIdentity(), request.method() + " " + request.uri()));
    }

    /** Why a request or connection was refused, for the 403 body and the log. */
    static String explain(Rbac rules, Rbac.Decision decision, String peer, String what) {
        String source = peer == null ? "a plaintext client (no mTLS identity)" : peer;
        if (!rules.allow()) {
            return source + " is denied " + what + " by policy " + decision.policy();
        }
        if (rules.policies().isEmpty()) {
            return "no TrafficTarget allows " + source + " anything on this port";
        }
        return "no TrafficTarget allows " + source + " to " + what + " (checked: "
                + String.join(", ", rules.policies().keySet()) + ")";
    }
}
