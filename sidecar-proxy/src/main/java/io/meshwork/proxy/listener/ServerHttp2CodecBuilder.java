package io.meshwork.proxy.listener;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * The downstream HTTP/2 codec's builder: a server connection whose outbound DATA is shared out among
 * its streams by {@link UniformStreamByteDistributor} instead of Netty's default
 * {@code WeightedFairQueueByteDistributor}. RFC 9113 deprecates the priority scheme that the default
 * implements, clients rarely send it, and neither Envoy nor HAProxy follows it; keeping its dependency
 * tree and pseudo-time priority queues up to date as streams open and close was ~6% of the HTTP/2
 * path's event-loop CPU (JFR, BENCHMARKS.md "Sidecar proxy"). Flow control (windows, WINDOW_UPDATE,
 * writability per stream) is unchanged: only the order in which streams with data and window get it.
 */
final class ServerHttp2CodecBuilder extends Http2FrameCodecBuilder {

    ServerHttp2CodecBuilder() {
        DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
        connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
        connection(connection);
    }
}
