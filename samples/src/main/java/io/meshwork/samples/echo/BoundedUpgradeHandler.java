package io.meshwork.samples.echo;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * Upgrades to h2c only requests whose body fits the upgrade buffer: the upgrade request is
 * buffered whole, so a large upload asking for h2c stays HTTP/1.1 and streams instead of
 * getting 413 (a server may ignore {@code Upgrade}, RFC 9110 §7.8).
 */
final class BoundedUpgradeHandler extends HttpServerUpgradeHandler {

    private final int maxContentLength;

    BoundedUpgradeHandler(SourceCodec sourceCodec, UpgradeCodecFactory upgradeCodecFactory, int maxContentLength) {
        super(sourceCodec, upgradeCodecFactory, maxContentLength);
        this.maxContentLength = maxContentLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
        if (msg instanceof HttpRequest request && request.headers().contains(HttpHeaderNames.UPGRADE)
                && (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > maxContentLength)) {
            request.headers().remove(HttpHeaderNames.UPGRADE).remove(Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER);
        }
        super.decode(ctx, msg, out);
    }
}
