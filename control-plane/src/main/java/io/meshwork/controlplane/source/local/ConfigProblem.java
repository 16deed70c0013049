package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;

/**
 * One thing wrong with the local config, pinned to a file, document and line. {@link #toString()}
 * is one line meant for people, e.g.
 * {@code reviews.yaml doc 2 (line 14): TrafficSplit default/reviews: spec.backends[1].service: "reviews-v3" is not a Service in namespace default}.
 *
 * @param documentIndex 1-based index of the YAML document in the file
 * @param line 1-based line of the offending field (or document), 0 when unknown
 * @param kind the document's kind, empty when it could not be read
 * @param object the document's namespace/name, null when it could not be read
 * @param field dotted path of the offending field, empty for the document as a whole
 */
public record ConfigProblem(Severity severity, String file, int documentIndex, int line, String kind,
                            ObjectRef object, String field, String message) {

    /** ERROR: the document (or object) was rejected. WARNING: it was ignored or kept with a caveat. */
    public enum Severity { ERROR, WARNING }

    public ConfigProblem {
        kind = kind == null ? "" : kind;
        field = field == null ? "" : field;
        // One problem, one log line: messages quoting YAML or parser output must not break it.
        message = message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    static ConfigProblem error(SourceLocation at, String kind, ObjectRef object, String field, String message) {
        return new ConfigProblem(Severity.ERROR, at.file(), at.documentIndex(), at.line(), kind, object, field, message);
    }

    static ConfigProblem warning(SourceLocation at, String kind, ObjectRef object, String field, String message) {
        return new ConfigProblem(Severity.WARNING, at.file(), at.documentIndex(), at.line(), kind, object, field, message);
    }

    public SourceLocation location() {
        return new SourceLocation(file, documentIndex, line);
    }

    /** The same problem with {@code note} appended to the message (what was done about it). */
    ConfigProblem withNote(String note) {
        return new ConfigProblem(severity, file, documentIndex, line, kind, object, field, message + "; " + note);
    }

    @Override
    public String toString() {
        return location() + ": " + withoutLocation();
    }

    /**
     * The line without where it was read ({@code TrafficSplit default/reviews: spec.backends[1].service: ...}):
     * what Kubernetes mode records in an Event on the object, whose location is the object itself.
     */
    public String withoutLocation() {
        StringBuilder line = new StringBuilder();
        if (!kind.isEmpty()) {
            line.append(kind).append(object != null ? " " + object : "").append(": ");
        }
        if (!field.isEmpty()) {
            line.append(field).append(": ");
        }
        return line.append(message).toString();
    }
}
