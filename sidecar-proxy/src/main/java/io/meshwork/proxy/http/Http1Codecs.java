package io.meshwork.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * HTTP/1.1 codec settings of both sides of the sidecar. Trailers are rare, yet Netty's decoder makes a
 * trailer map for every message with a body; here that map starts with 2 buckets instead of 16.
 */
public final class Http1Codecs {

    private static final HttpHeadersFactory SMALL_TRAILERS = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return newEmptyHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return DefaultHttpHeadersFactory.trailersFactory().newEmptyHeaders();
        }
    };

    private Http1Codecs() {
    }

    /** The downstream (client-facing) codec. */
    public static HttpServerCodec server(int maxInitialLineLength, int maxHeaderSize, int maxChunkSize) {
        return new HttpServerCodec(decoderConfig(maxInitialLineLength, maxHeaderSize, maxChunkSize));
    }

    /** The decoder settings of either side, with small trailer maps. */
    public static HttpDecoderConfig decoderConfig(int maxInitialLineLength, int maxHeaderSize, int maxChunkSize) {
        return new HttpDecoderConfig().setMaxInitialLineLength(maxInitialLineLength).setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(maxChunkSize).setTrailersFactory(SMALL_TRAILERS);
    }
}
