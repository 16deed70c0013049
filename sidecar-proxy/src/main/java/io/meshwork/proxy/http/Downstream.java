package io.meshwork.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * Where {@link HttpProxyHandler} reads a request from and writes its response to: the channel of an
 * HTTP/1.1 connection, or one stream of an HTTP/2 connection, which has no channel of its own
 * ({@link Http2StreamDispatcher}). Messages are Netty's HTTP/1.1 objects either way. Call on the event loop.
 */
public interface Downstream {

    /** The event loop of the connection, which the exchange's timers, upstream and shadows run on. */
    EventLoop eventLoop();

    /** The downstream connection (for a stream, the HTTP/2 connection carrying it). */
    Channel connection();

    /** Writes a part of the response; nobody waits for it. */
    void write(Object msg);

    /** Flushes what was written at the end of this turn of the event loop ({@link LoopFlusher}). */
    void flushLater();

    /** Writes {@code last} and flushes, then closes (a stream still open is reset). */
    void writeAndClose(Object last);

    /** Closes: an HTTP/1.1 connection, or resets a stream still open. */
    void close();

    /** Asks for the next part of the request (reads are on demand: backpressure). */
    void read();

    /** Below its high-water mark (for a stream: its flow-control window too). */
    boolean isWritable();
}
