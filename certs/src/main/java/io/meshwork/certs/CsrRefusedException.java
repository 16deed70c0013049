package io.meshwork.certs;

/** A CSR the CA will not sign, with why; the reason maps onto a gRPC status. */
public final class CsrRefusedException extends Exception {

    /** PERMISSION_DENIED: the caller may not have this identity; INVALID_ARGUMENT: the CSR itself is wrong. */
    public enum Reason { PERMISSION_DENIED, INVALID_ARGUMENT }

    private final Reason reason;

    public CsrRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
