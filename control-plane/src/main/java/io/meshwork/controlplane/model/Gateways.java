package io.meshwork.controlplane.model;

import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The Gateway API objects of the edge: GatewayClasses (by name; they have no namespace), Gateways, ReferenceGrants
 * and the TLS Secrets listeners name.
 */
public record Gateways(SortedMap<String, GatewayClass> classes, SortedMap<ObjectRef, Gateway> gateways,
                       SortedMap<ObjectRef, ReferenceGrant> grants, SortedMap<ObjectRef, TlsSecret> secrets) {

    /** The controller name of Meshwork's GatewayClasses: only Gateways of such a class are served. */
    public static final String CONTROLLER = "meshwork.io/gateway-controller";
    public static final String GROUP = "gateway.networking.k8s.io";
    public static final Gateways NONE = new Gateways(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>());

    public Gateways {
        classes = Collections.unmodifiableSortedMap(new TreeMap<>(classes));
        gateways = Collections.unmodifiableSortedMap(new TreeMap<>(gateways));
        grants = Collections.unmodifiableSortedMap(new TreeMap<>(grants));
        secrets = Collections.unmodifiableSortedMap(new TreeMap<>(secrets));
    }

    /** A {@code GatewayClass}: {@code spec.controllerName} says which implementation serves its Gateways. */
    public record GatewayClass(String name, String controllerName) {
    }

    /** {@code gateway} when its class is Meshwork's, else empty: another implementation's, or no class. */
    public Optional<Gateway> served(ObjectRef gateway) {
        return Optional.ofNullable(gateways.get(gateway)).filter(this::ours);
    }

    public boolean ours(Gateway gateway) {
        GatewayClass gatewayClass = classes.get(gateway.className());
        return gatewayClass != null && gatewayClass.controllerName().equals(CONTROLLER);
    }

    /**
     * Why {@code certificate} of a listener of {@code gateway} cannot be served, empty when it can: its Secret must be
     * in the Gateway's namespace or granted to it by a ReferenceGrant (RefNotPermitted), and exist as a
     * {@code kubernetes.io/tls} Secret (InvalidCertificateRef). A listener is served only when all of its can.
     */
    public Optional<String> certificateProblem(Gateway gateway, ObjectRef certificate) {
        if (!permits("Gateway", gateway.ref().namespace(), "Secret", certificate)) {
            return Optional.of("Secret " + certificate + " is in another namespace and no ReferenceGrant in "
                    + certificate.namespace() + " lets Gateways of " + gateway.ref().namespace()
                    + " refer to it (RefNotPermitted)");
        }
        if (!secrets.containsKey(certificate)) {
            return Optional.of("Secret " + certificate + " is not a kubernetes.io/tls Secret that Meshwork has read "
                    + "(InvalidCertificateRef)");
        }
        return Optional.empty();
    }

    /** Whether every certificate of {@code listener} can be served (an HTTP listener has none). */
    public boolean servable(Gateway gateway, Gateway.Listener listener) {
        return listener.certificates().stream().allMatch(c -> certificateProblem(gateway, c).isEmpty());
    }

    /**
     * Whether an object of {@code fromKind} ({@link #GROUP}) in {@code fromNamespace} may refer to {@code target}, of
     * the core group's {@code toKind}: always in its own namespace, elsewhere only where a ReferenceGrant there says so.
     */
    public boolean permits(String fromKind, String fromNamespace, String toKind, ObjectRef target) {
        return target.namespace().equals(fromNamespace) || grants.values().stream()
                .anyMatch(grant -> grant.permits(GROUP, fromKind, fromNamespace, "", toKind, target));
    }
}
