package io.meshwork.proxy.listener;

import io.meshwork.proxy.tls.TlsContexts;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows an inbound mutual TLS handshake: on success records the client's SPIFFE ID on the
 * connection ({@link TlsContexts#PEER_IDENTITY}, for authorization and the forwarded client
 * identity), installs the rest of the filter chain and asks for the first application bytes; on
 * failure logs why and closes.
 */
final class MtlsHandshake extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(MtlsHandshake.class);

    private final String listener;
    private final io.meshwork.proxy.admin.MeshMetrics metrics;
    private final java.util.function.BiConsumer<ChannelHandlerContext, String> verified;

    /**
     * {@code verified} installs what follows the handshake (after this handler), given the peer's SPIFFE ID;
     * {@code metrics} counts handshakes made and refused.
     */
    MtlsHandshake(String listener, io.meshwork.proxy.admin.MeshMetrics metrics,
                  java.util.function.BiConsumer<ChannelHandlerContext, String> verified) {
        this.listener = listener;
        this.metrics = metrics;
        this.verified = verified;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            metrics.inboundTlsHandshake(listener, done.isSuccess());
            if (done.isSuccess()) {
                String peer = peerIdentity(ctx);
                ctx.channel().attr(TlsContexts.PEER_IDENTITY).set(peer);
                verified.accept(ctx, peer);
                ctx.read();
                ctx.pipeline().remove(this);
            } else {
                // Stays in the pipeline: the SslHandler's exception for this failure comes next, and ends here.
                LOG.debug("listener {}: mTLS handshake from {} refused: {}", listener, ctx.channel().remoteAddress(),
                        done.cause().getMessage());
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A refused handshake also ends up here; the completion event above logs and closes.
        ctx.close();
    }

    private static String peerIdentity(ChannelHandlerContext ctx) {
        try {
            Certificate[] peer = ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
            return peer.length > 0 && peer[0] instanceof X509Certificate leaf ? TlsContexts.spiffeIdOf(leaf) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
