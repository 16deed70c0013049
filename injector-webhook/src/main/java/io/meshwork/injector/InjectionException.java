package io.meshwork.injector;

/** The pod cannot be injected as asked (a malformed annotation, a pod without containers). */
public final class InjectionException extends RuntimeException {

    public InjectionException(String message) {
        super(message);
    }
}
