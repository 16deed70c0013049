package io.meshwork.proxy.endpoint;

import io.netty.handler.codec.http.HttpObject;

/** Receives what an upstream connection or stream reads, for the request currently using it. */
public interface UpstreamListener {

    void onUpstreamRead(HttpObject message);

    /** The end of one read batch: what {@link #onUpstreamRead} wrote without flushing goes out now. */
    void onUpstreamReadComplete();

    void onUpstreamClosed();

    /** The upstream's write buffer drained below its low-water mark: more of the request may be read. */
    void onUpstreamWritable();
}
