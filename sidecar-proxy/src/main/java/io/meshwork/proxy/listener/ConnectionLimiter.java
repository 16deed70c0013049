package io.meshwork.proxy.listener;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bound listener's connection limit ({@link ConnectionPolicy#maxConnections()}, Envoy's
 * {@code envoy.filters.network.connection_limit}): at the limit the listener stops accepting (its server
 * channel stops reading, so further clients wait in the kernel's backlog and take no file descriptor)
 * until an admitted connection closes; admitted connections are served as before. One accepted in the
 * same accept batch past the limit is closed at once, as Envoy's filter closes it.
 */
final class ConnectionLimiter {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final String listenerName;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private volatile Channel server;
    private volatile int max;
    private boolean paused;

    ConnectionLimiter(String listenerName) {
        this.listenerName = listenerName;
    }

    void serverChannel(Channel server) {
        this.server = server;
    }

    /** Counts an accepted connection under the limit {@code max} (0: none); false when it was closed instead. */
    boolean admit(Channel connection, int max) {
        this.max = max;
        int now = open.incrementAndGet();
        if (max > 0 && now > max) {
            open.decrementAndGet();
            refused.incrementAndGet();
            connection.close();
            return false;
        }
        connection.closeFuture().addListener(f -> {
            open.decrementAndGet();
            if (this.max > 0 || paused) {
                updateAccepting();
            }
        });
        if (max > 0) {
            updateAccepting();
        }
        return true;
    }

    int open() {
        return open.get();
    }

    long refused() {
        return refused.get();
    }

    private synchronized void updateAccepting() {
        Channel listening = server;
        boolean full = max > 0 && open.get() >= max;
        if (listening == null || full == paused) {
            return;
        }
        paused = full;
        listening.config().setAutoRead(!full);
        if (full) {
            LOG.warn("listener {}: {} connections, its limit (connection_limit max_connections): not accepting "
                    + "more until one closes", listenerName, max);
        } else {
            LOG.info("listener {}: below its limit of {} connections, accepting again", listenerName, max);
        }
    }
}
