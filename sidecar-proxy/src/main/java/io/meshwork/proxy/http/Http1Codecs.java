package io.meshwork.proxy.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * HTTP/1.1 codec settings of both sides of the sidecar: headers and trailers go into
 * {@link ArrayHttpHeaders} rather than Netty's hash tables.
 */
public final class Http1Codecs {

    private Http1Codecs() {
    }

    /** The downstream (client-facing) codec. */
    public static HttpServerCodec server(int maxInitialLineLength, int maxHeaderSize, int maxChunkSize) {
        return new HttpServerCodec(decoderConfig(maxInitialLineLength, maxHeaderSize, maxChunkSize));
    }

    /** The decoder settings of either side. */
    public static HttpDecoderConfig decoderConfig(int maxInitialLineLength, int maxHeaderSize, int maxChunkSize) {
        return new HttpDecoderConfig().setMaxInitialLineLength(maxInitialLineLength).setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(maxChunkSize).setHeadersFactory(ArrayHttpHeaders.FACTORY)
                .setTrailersFactory(ArrayHttpHeaders.TRAILERS_FACTORY);
    }
}
