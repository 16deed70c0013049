package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.Policies;
import io.meshwork.controlplane.model.TrafficTarget;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.SidecarScope;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The version of a snapshot: a SHA-256 over a canonical text of its content (maps sorted, fields in a
 * fixed order), so equal content gives the same version in every run and any change gives another.
 * Endpoints are derived from services and workloads, so they need no hashing of their own.
 */
final class SnapshotVersion {

    private final StringBuilder text = new StringBuilder();

    private SnapshotVersion() {
    }

    /** With {@code endpointsText}: what a source's endpoints depend on beyond services and workloads (EndpointSlices). */
    static String of(Collection<MeshService> services, Collection<Workload> workloads,
                     Collection<TrafficSplit> splits, Collection<HttpRouteGroup> routeGroups,
                     Collection<SidecarScope> sidecars, Collection<PeerAuthentication> peerAuthentications,
                     Collection<TrafficTarget> trafficTargets, Policies policies, Collection<HttpRoute> httpRoutes,
                     Gateways gateways, String endpointsText) {
        SnapshotVersion v = new SnapshotVersion();
        if (!endpointsText.isEmpty()) {
            v.field("endpoints", endpointsText);
        }
        for (MeshService s : services) {
            v.field("service", s.ref()).map(s.selector());
            for (ServicePort p : s.ports()) {
                v.field("port", p.name()).field("", p.port()).field("", p.targetPort()).field("", p.protocol());
            }
        }
        for (Workload w : workloads) {
            v.field("workload", w.ref()).map(w.labels()).field("", w.address()).map(w.ports()).map(w.appPorts())
                    .field("", w.serviceAccount()).field("", w.locality().region()).field("", w.locality().zone())
                    .field("", w.cluster()).field("", w.ready());
        }
        for (TrafficSplit t : splits) {
            v.field("split", t.ref()).field("", t.service());
            t.backends().forEach(b -> v.field("backend", b.service()).field("", b.weight()));
            t.matches().forEach(m -> v.field("match", m.kind()).field("", m.name()).field("", m.matchNames()));
        }
        for (HttpRouteGroup g : routeGroups) {
            v.field("group", g.ref());
            g.matches().forEach(m -> v.field("match", m.name()).field("", m.pathRegex()).field("", m.methods()).map(m.headers()));
        }
        for (SidecarScope s : sidecars) {
            v.field("sidecar", s.ref()).map(s.workloadSelector()).field("", s.egressHosts());
        }
        for (PeerAuthentication p : peerAuthentications) {
            v.field("peerauthentication", p.ref()).map(p.selector()).field("", p.mode())
                    .field("", new TreeMap<>(p.portModes()));
        }
        for (TrafficTarget t : trafficTargets) {
            v.field("traffictarget", t.ref()).field("", t.destination()).field("", t.port()).field("", t.sources());
            t.rules().forEach(r -> v.field("rule", r.kind()).field("", r.name()).field("", r.matchNames()));
        }
        // Records of durations, lists and numbers: their text is canonical.
        policies.timeouts().values().forEach(t -> v.field("meshtimeout", t));
        policies.retries().values().forEach(r -> v.field("meshretry", r));
        policies.circuitBreakers().values().forEach(c -> v.field("meshcircuitbreaker", c));
        policies.faults().values().forEach(f -> v.field("meshfaultinjection", f));
        policies.rateLimits().values().forEach(r -> v.field("meshratelimit", r));
        policies.mirrors().values().forEach(m -> v.field("meshmirror", m));
        httpRoutes.forEach(r -> v.field("httproute", r));
        gateways.classes().values().forEach(c -> v.field("gatewayclass", c));
        gateways.gateways().values().forEach(g -> v.field("gateway", g));
        gateways.grants().values().forEach(g -> v.field("referencegrant", g));
        // The text of a TlsSecret hides its key: hash the PEM itself.
        gateways.secrets().values().forEach(s -> v.field("secret", s.ref()).field("", s.certificateChain())
                .field("", s.privateKey()));
        return v.digest();
    }

    private SnapshotVersion field(String tag, Object value) {
        // Length-prefixed so that no two different contents write the same text.
        String s = String.valueOf(value);
        text.append(tag).append(':').append(s.length()).append(':').append(s).append('\n');
        return this;
    }

    private SnapshotVersion map(Map<String, ?> map) {
        new TreeMap<>(map).forEach((k, val) -> field("k", k).field("v", val));
        return field("end", map.size());
    }

    private String digest() {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
