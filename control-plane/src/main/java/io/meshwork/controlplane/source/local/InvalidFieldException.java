package io.meshwork.controlplane.source.local;

/** Thrown by parsers when a field is missing or wrong; the document is rejected with this field and line. */
final class InvalidFieldException extends RuntimeException {

    private final String field;
    private final int line;

    InvalidFieldException(String field, int line, String message) {
        super(message, null, false, false);
        this.field = field;
        this.line = line;
    }

    String field() {
        return field;
    }

    /** 1-based, 0 when unknown. */
    int line() {
        return line;
    }
}
