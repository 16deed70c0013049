package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshFaultInjection;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;
import java.time.Duration;
import java.util.Map;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshFaultInjection}: {@code spec.targetRef}, optional
 * {@code match {headers {name: value}}}, and at least one of {@code abort {httpStatus | grpcStatus, percentage}} and
 * {@code delay {fixedDelay, percentage}} (percentages 0-100, 100 when left out, as Istio's).
 */
final class MeshFaultInjectionParser implements KindParser<MeshFaultInjection> {

    @Override
    public MeshFaultInjection parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        Map<String, String> headers = spec.optionalObject("match").map(match -> {
            Map<String, String> read = match.stringMap("headers");
            if (read.isEmpty()) {
                throw match.error("headers", "is required and names at least one header (leave match out for every request)");
            }
            read.keySet().forEach(name -> {
                if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                    throw match.error("headers", "\"" + name + "\" is not a header name");
                }
            });
            return read;
        }).orElse(Map.of());
        MeshFaultInjection.Abort abort = spec.optionalObject("abort").map(MeshFaultInjectionParser::abort).orElse(null);
        MeshFaultInjection.Delay delay = spec.optionalObject("delay").map(MeshFaultInjectionParser::delay).orElse(null);
        if (abort == null && delay == null) {
            throw spec.error("abort", "a MeshFaultInjection sets abort, delay or both");
        }
        java.util.TreeMap<String, String> lowerCased = new java.util.TreeMap<>();
        headers.forEach((name, value) -> lowerCased.put(name.toLowerCase(java.util.Locale.ROOT), value));
        return new MeshFaultInjection(ref, target, lowerCased, abort, delay);
    }

    private static MeshFaultInjection.Abort abort(YamlObject abort) {
        Integer http = abort.optionalInt("httpStatus").orElse(null);
        Integer grpc = abort.optionalInt("grpcStatus").orElse(null);
        if (http == null && grpc == null) {
            throw abort.error("httpStatus", "abort needs httpStatus or grpcStatus");
        }
        if (http != null && grpc != null) {
            throw abort.error("grpcStatus", "give httpStatus or grpcStatus, not both (a gRPC call aborted with "
                    + "httpStatus gets the gRPC status gRPC maps it to)");
        }
        if (http != null && (http < 200 || http > 599)) {
            throw abort.error("httpStatus", http + " is not an HTTP status Envoy aborts with (200-599)");
        }
        if (grpc != null && (grpc < 1 || grpc > 16)) {
            throw abort.error("grpcStatus", grpc + " is not a gRPC error status (1-16)");
        }
        return new MeshFaultInjection.Abort(http, grpc, percentage(abort, "percentage"));
    }

    private static MeshFaultInjection.Delay delay(YamlObject delay) {
        Duration fixed = delay.optionalDuration("fixedDelay").orElseThrow(() -> delay.error("fixedDelay", "is required"));
        if (fixed.isZero()) {
            throw delay.error("fixedDelay", "must be more than 0");
        }
        return new MeshFaultInjection.Delay(fixed, percentage(delay, "percentage"));
    }

    /** A percentage in 0..100, to a ten-thousandth (Envoy's MILLION denominator); 100 when left out. */
    static double percentage(YamlObject object, String key) {
        if (!object.has(key)) {
            return 100;
        }
        String text = object.optionalScalar(key).orElseThrow().getValue();
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (!(value >= 0 && value <= 100)) {
            throw object.error(key, "\"" + text + "\" is not a percentage in 0..100");
        }
        if (Math.abs(value * 10_000 - Math.rint(value * 10_000)) > 1e-6) {
            throw object.error(key, text + " has more than 4 decimals (Envoy counts per million)");
        }
        return value;
    }
}
