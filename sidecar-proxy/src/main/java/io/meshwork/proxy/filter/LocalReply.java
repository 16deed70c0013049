package io.meshwork.proxy.filter;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A filter's answer to a request that goes no further: the status and a one-line text body. */
public record LocalReply(HttpResponseStatus status, String body) {
}
