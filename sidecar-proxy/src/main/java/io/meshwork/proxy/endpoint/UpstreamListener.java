package io.meshwork.proxy.endpoint;

import io.netty.handler.codec.http.HttpObject;

/** Receives what an upstream connection or stream reads, for the request currently using it. */
public interface UpstreamListener {

    void onUpstreamRead(HttpObject message);

    void onUpstreamClosed();
}
