package io.meshwork.certs;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A workload identity {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}. */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {

    private static final Pattern FORM = Pattern.compile("spiffe://([^/]+)/ns/([^/]+)/sa/([^/]+)");

    public SpiffeId {
        requireSegment("trustDomain", trustDomain);
        requireSegment("namespace", namespace);
        requireSegment("serviceAccount", serviceAccount);
    }

    /** Parses the URI form; the error names the offending text. */
    public static SpiffeId parse(String uri) {
        Matcher m = FORM.matcher(Objects.requireNonNull(uri, "SPIFFE ID"));
        if (!m.matches()) {
            throw new IllegalArgumentException("SPIFFE ID \"" + uri
                    + "\" is not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>");
        }
        return new SpiffeId(m.group(1), m.group(2), m.group(3));
    }

    /** What a gateway's ServiceAccount is called after its Gateway: {@code <gateway>-meshwork}, as Istio's. */
    public static final String GATEWAY_ACCOUNT_SUFFIX = "-meshwork";

    /**
     * The ServiceAccount a gateway of Gateway {@code gateway} runs as ({@code mesh install --gateway} makes it): the
     * control plane serves that Gateway's config (its listeners' private keys) only to this account in its namespace.
     */
    public static String gatewayServiceAccount(String gateway) {
        return gateway + GATEWAY_ACCOUNT_SUFFIX;
    }

    public URI uri() {
        return URI.create(toString());
    }

    @Override
    public String toString() {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    private static void requireSegment(String field, String value) {
        if (value == null || value.isEmpty() || value.contains("/")) {
            throw new IllegalArgumentException("SPIFFE ID: " + field + " \"" + value
                    + "\" must be non-empty and contain no '/'");
        }
    }
}
