package io.meshwork.proxy.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.http.Http1Codecs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pooled upstream connection's codec, driven through Netty's in-memory channel. */
class UpstreamHttp1CodecTest {

    private final EmbeddedChannel channel =
            new EmbeddedChannel(new UpstreamHttp1Codec(Http1Codecs.decoderConfig(4096, 65536, 16384)));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void send(HttpMethod method) {
        channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
        ReferenceCountUtil.release(channel.readOutbound());
    }

    private void receive(String response) {
        channel.writeInbound(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1));
    }

    @Test
    void aResponseToHeadHasNoBodyWhateverItsContentLengthSaysAndTheNextResponseDecodes() {
        send(HttpMethod.HEAD);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 41\r\n\r\n");
        FullHttpResponse head = channel.readInbound();
        assertThat(head.headers().getInt("content-length")).isEqualTo(41);
        assertThat(head.content().isReadable()).isFalse();

        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        FullHttpResponse body = channel.readInbound();
        assertThat(body.status().code()).isEqualTo(200);
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        body.release();
        assertThat((Object) channel.readInbound()).isNull();
    }

    @Test
    void onlyAResponseReadWholeInOneGoBecomesOneMessage() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
        HttpResponse partial = channel.readInbound();
        assertThat(partial).isNotInstanceOf(FullHttpResponse.class);
        HttpContent first = channel.readInbound();
        assertThat(first).isNotInstanceOf(LastHttpContent.class);
        first.release();
        receive("world");
        HttpContent rest = channel.readInbound();
        assertThat(rest).isInstanceOf(LastHttpContent.class);
        assertThat(rest.content().toString(StandardCharsets.US_ASCII)).isEqualTo("world");
        rest.release();

        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        HttpResponse chunked = channel.readInbound();
        assertThat(chunked).isNotInstanceOf(FullHttpResponse.class);
        HttpContent chunk = channel.readInbound();
        assertThat(chunk.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        chunk.release();
        assertThat((Object) channel.readInbound()).isInstanceOf(LastHttpContent.class);
    }

    @Test
    void wellKnownHeaderNamesInAnyCaseDecodeToTheSharedLowerCaseNames() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nCONTENT-type: text/plain\r\nServer: nginx\r\nX-Custom: 1\r\n"
                + "Content-Length: 0\r\n\r\n");
        HttpResponse response = channel.readInbound();
        assertThat(response.headers().names()).contains("content-type", "server", "X-Custom");
        assertThat(response.headers().get("Content-Type")).isEqualTo("text/plain");
        assertThat((Object) UpstreamHttp1Codec.knownName("Transfer-Encoding".getBytes(StandardCharsets.US_ASCII), 0, 17))
                .hasToString("transfer-encoding");
        assertThat((Object) UpstreamHttp1Codec.knownName("Transfer-Encodinx".getBytes(StandardCharsets.US_ASCII), 0, 17))
                .isNull();
        ReferenceCountUtil.release(channel.readInbound());
    }

    @Test
    void statusLinesKeepTheirCodeAndReasonWhetherStandardOrNot() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        HttpResponse notFound = channel.readInbound();
        assertThat(notFound.status().code()).isEqualTo(404);
        assertThat(notFound.status().reasonPhrase()).isEqualTo("Not Found");
        assertThat(notFound.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        ReferenceCountUtil.release(channel.readInbound());

        send(HttpMethod.GET);
        receive("HTTP/1.0 299 Quite Fine\r\nContent-Length: 0\r\n\r\n");
        HttpResponse custom = channel.readInbound();
        assertThat(custom.status().code()).isEqualTo(299);
        assertThat(custom.status().reasonPhrase()).isEqualTo("Quite Fine");
        assertThat(custom.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_0);
        ReferenceCountUtil.release(channel.readInbound());
    }

    @Test
    void aMalformedStatusCodeIsADecoderFailureNotAStatus() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n");
        Object decoded = channel.readInbound();
        assertThat(((HttpResponse) decoded).decoderResult().isFailure()).isTrue();
        ReferenceCountUtil.release(decoded);
    }

    @Test
    void anInterimResponseToHeadIsFollowedByTheFinalOne() {
        send(HttpMethod.HEAD);
        receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        assertThat(((HttpResponse) channel.readInbound()).status().code()).isEqualTo(100);
        ReferenceCountUtil.release(channel.readInbound());
        assertThat(((HttpResponse) channel.readInbound()).status().code()).isEqualTo(204);
        ByteBuf none = channel.readOutbound();
        assertThat(none).isNull();
    }
}
