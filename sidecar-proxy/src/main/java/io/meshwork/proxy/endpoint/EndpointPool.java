package io.meshwork.proxy.endpoint;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

/**
 * Connections to one endpoint on one event loop. HTTP/1.1 pools keep-alive connections; HTTP/2
 * multiplexes streams on one connection. Used only from its event loop, so it needs no locks.
 */
public interface EndpointPool {

    /**
     * A channel carrying HttpObjects for one exchange; {@code fresh} forbids reusing an idle one. A connection it
     * opens for this is first let by {@code gate} (else the future fails with {@link ConnectionOverflowException}).
     */
    Future<Channel> acquire(boolean fresh, ConnectionGate gate);

    /** Whether {@link #acquire} would hand over a channel at once, without waiting for a connection to open. */
    boolean ready(boolean fresh);

    /** Gives the channel back after a complete exchange; {@code reusable} false closes it. */
    void release(Channel channel, boolean reusable);

    /** The endpoint left the config: close idle connections now and busy ones when released. */
    void drain();

    /** Whether {@link #drain} was called: the pool serves what it holds but is no longer the endpoint's. */
    boolean draining();

    /** Whether the pool is draining and holds no more connections (so it can be forgotten). */
    boolean drained();
}
