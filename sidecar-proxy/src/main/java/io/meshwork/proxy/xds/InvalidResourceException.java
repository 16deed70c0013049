package io.meshwork.proxy.xds;

/** A resource failed validation; the message names the resource and the field, for the NACK. */
public final class InvalidResourceException extends Exception {

    public InvalidResourceException(String message) {
        super(message);
    }
}
