package io.meshwork.controlplane.admin;

import io.meshwork.controlplane.ca.IssuedCertificates;
import io.meshwork.controlplane.xds.ProxyStatus;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes {@code /debug/proxies}: a JSON array with one object per connected proxy; and JSON strings for the other debug pages. */
public final class ProxiesJson {

    private ProxiesJson() {
    }

    /** {@code certificates}: what the CA issued, shown as each proxy's {@code certificate} (null when none). */
    static String write(List<ProxyStatus> proxies, IssuedCertificates certificates) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < proxies.size(); i++) {
            json.append(i == 0 ? "\n  " : ",\n  ");
            proxy(json, proxies.get(i), certificates);
        }
        return json.append(proxies.isEmpty() ? "]\n" : "\n]\n").toString();
    }

    private static void proxy(StringBuilder json, ProxyStatus p, IssuedCertificates certificates) {
        json.append('{');
        field(json, "id", p.id()).append(',');
        field(json, "group", p.group()).append(',');
        field(json, "workload", p.workload()).append(',');
        field(json, "namespace", p.namespace()).append(',');
        field(json, "connectedAt", p.connectedAt().toString()).append(',');
        json.append("\"delta\":").append(p.delta()).append(',');
        object(json.append("\"acked\":"), p.acked()).append(',');
        object(json.append("\"sent\":"), p.sent()).append(',');
        field(json, "adminAddress", p.adminAddress()).append(',');
        field(json, "metricsAddress", p.metricsAddress()).append(',');
        json.append("\"certificate\":");
        IssuedCertificates.Issued issued = certificates.of(p.namespace(), p.workload()).orElse(null);
        if (issued == null) {
            json.append("null,");
        } else {
            json.append('{');
            field(json, "identity", issued.identity()).append(',');
            field(json, "serial", issued.serial()).append(',');
            field(json, "notAfter", issued.notAfter().toString()).append("},");
        }
        json.append("\"lastNack\":");
        ProxyStatus.Nack nack = p.lastNack();
        if (nack == null) {
            json.append("null");
        } else {
            json.append('{');
            field(json, "typeUrl", nack.typeUrl()).append(',');
            field(json, "version", nack.version()).append(',');
            field(json, "nonce", nack.nonce()).append(',');
            field(json, "message", nack.message()).append(',');
            field(json, "at", nack.at().toString()).append('}');
        }
        json.append('}');
    }

    private static StringBuilder object(StringBuilder json, Map<String, String> fields) {
        json.append('{');
        Iterator<Map.Entry<String, String>> entries = fields.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<String, String> e = entries.next();
            field(json, e.getKey(), e.getValue());
            if (entries.hasNext()) {
                json.append(',');
            }
        }
        return json.append('}');
    }

    private static StringBuilder field(StringBuilder json, String name, String value) {
        return string(string(json, name).append(':'), value);
    }

    /** A JSON string literal (RFC 8259 escaping). */
    public static StringBuilder string(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
