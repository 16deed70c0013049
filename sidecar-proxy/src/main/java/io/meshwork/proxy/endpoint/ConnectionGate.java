package io.meshwork.proxy.endpoint;

/**
 * Asked by a pool before it opens a connection, and told when one closes: a cluster's {@code max_connections}.
 * Called from any event loop.
 */
public interface ConnectionGate {

    /** Lets every connection open (no limit). */
    ConnectionGate UNLIMITED = new ConnectionGate() {
        @Override
        public boolean tryOpen(boolean firstOfPool) {
            return true;
        }

        @Override
        public void closed() {
        }
    };

    /**
     * Whether a new connection may open; when true it counts until {@link #closed()}. {@code firstOfPool}: the
     * pool has no connection yet, which Envoy always allows (so every endpoint picked can be reached), counted too.
     */
    boolean tryOpen(boolean firstOfPool);

    /** A connection this gate let open has closed (or failed to open). */
    void closed();
}
