package io.meshwork.proxy.endpoint;

/** A pool did not open a connection because its {@link ConnectionGate} refused: the cluster is at max_connections. */
public final class ConnectionOverflowException extends Exception {

    public ConnectionOverflowException() {
        super("the cluster is at its max_connections", null, false, false);
    }
}
