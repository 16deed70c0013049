package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sidecar's array-backed headers, alone and behind Netty's HTTP/1.1 decoder. */
class ArrayHttpHeadersTest {

    @Test
    void findsNamesWhateverTheirCaseAndKeepsArrivalOrder() {
        HttpHeaders headers = new ArrayHttpHeaders()
                .add("Host", "reviews")
                .add(AsciiString.cached("x-trace"), "a")
                .add("X-Trace", "b");
        assertThat(headers.get(HttpHeaderNames.HOST)).isEqualTo("reviews");
        assertThat(headers.get("HOST")).isEqualTo("reviews");
        assertThat(headers.getAll("x-TRACE")).containsExactly("a", "b");
        assertThat(headers.contains("missing")).isFalse();
        assertThat(headers.getAll("missing")).isEmpty();
        // A well-known name is stored as its lower-case constant; another keeps the case it came in.
        assertThat(headers.names()).containsExactly("host", "x-trace");
        assertThat(headers.add("X-Custom", "1").names()).contains("X-Custom");
        assertThat(headers.iteratorCharSequence().next().getKey()).isSameAs(HttpHeaderNames.HOST);
        assertThat(headers.size()).isEqualTo(4);
    }

    @Test
    void setReplacesTheFirstInPlaceAndDropsTheRest() {
        HttpHeaders headers = new ArrayHttpHeaders().add("a", "1").add("b", "2").add("A", "3").add("c", "4");
        headers.set("a", "new");
        assertThat(headers.entries()).extracting(Map.Entry::getKey).containsExactly("a", "b", "c");
        assertThat(headers.get("a")).isEqualTo("new");
        headers.remove("B");
        assertThat(headers.entries()).extracting(Map.Entry::getValue).containsExactly("new", "4");
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 12);
        assertThat(headers.getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(12);
        assertThat(headers.getInt("c", -1)).isEqualTo(4);
        headers.clear();
        assertThat(headers.isEmpty()).isTrue();
    }

    @Test
    void aNameSharingAHashBitWithAStoredOneIsStillAnotherName() {
        HttpHeaders headers = new ArrayHttpHeaders().add("Host", "reviews");
        int bit = AsciiString.hashCode("host") & 63;
        String twin = null;
        for (int i = 0; twin == null; i++) {
            String candidate = "x-" + i;
            if ((AsciiString.hashCode(candidate) & 63) == bit) {
                twin = candidate;
            }
        }
        assertThat(headers.get(twin)).isNull();
        headers.remove(twin);
        assertThat(headers.get("HOST")).isEqualTo("reviews");
        headers.remove("host");
        assertThat(headers.contains("host")).isFalse();
        headers.add(twin, "1");
        assertThat(headers.get(twin)).isEqualTo("1");
        headers.clear();
        assertThat(headers.get(twin)).isNull();
        assertThat(headers.add("Host", "again").copy().get("host")).isEqualTo("again");
    }

    @Test
    void growsPastItsFirstArraysAndCopiesIndependently() {
        ArrayHttpHeaders headers = new ArrayHttpHeaders();
        for (int i = 0; i < 40; i++) {
            headers.add("h" + i, Integer.toString(i));
        }
        HttpHeaders copy = headers.copy();
        headers.remove("h39");
        assertThat(headers.size()).isEqualTo(39);
        assertThat(copy.size()).isEqualTo(40);
        assertThat(copy.get("h39")).isEqualTo("39");
    }

    @Test
    void answersNettysQuestionsAboutConnectionAndFraming() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/",
                new ArrayHttpHeaders().add("Connection", "Upgrade, close").add("Transfer-Encoding", "gzip, chunked"));
        assertThat(HttpUtil.isKeepAlive(request)).isFalse();
        assertThat(HttpUtil.isTransferEncodingChunked(request)).isTrue();
        assertThat(request.headers().containsValue(HttpHeaderNames.CONNECTION, "UPGRADE", true)).isTrue();
        assertThat(request.headers().contains(HttpHeaderNames.CONNECTION, "close", false)).isFalse();
    }

    @Test
    void readsCommaSeparatedValuesAsNettysHeadersDo() {
        String[] values = {"close", "a ,  close", "a, close", "a,close ,b", "a,", ",", "", "a, ,b", "CLOSE", "a,,b",
            "chunked\t", "keep-alive, Upgrade", "closed", "x close"};
        String[] expected = {"close", "", "b", "upgrade", "chunked", "a"};
        for (String value : values) {
            for (String wanted : expected) {
                for (boolean ignoreCase : new boolean[] {true, false}) {
                    HttpHeaders ours = new ArrayHttpHeaders().add("x-other", wanted).add("Connection", value);
                    HttpHeaders netty = new DefaultHttpHeaders().add("x-other", wanted).add("Connection", value);
                    assertThat(ours.containsValue("connection", wanted, ignoreCase))
                            .as("\"%s\" holds \"%s\" (ignoring case: %s)", value, wanted, ignoreCase)
                            .isEqualTo(netty.containsValue("connection", wanted, ignoreCase));
                }
            }
        }
        HttpHeaders twice = new ArrayHttpHeaders().add("te", "gzip").add("TE", "trailers, deflate");
        assertThat(twice.containsValue("te", "deflate", false)).isTrue();
        assertThat(twice.containsValue("te", "chunked", true)).isFalse();
    }

    @Test
    void theEncoderWritesEveryHeaderOnceInOrder() {
        HttpHeaders headers = new ArrayHttpHeaders().add("Content-Type", "text/plain").add("X-Trace", "a")
                .add("x-trace", "b").add("Content-Length", "0");
        EmbeddedChannel channel = new EmbeddedChannel(new HttpResponseEncoder());
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER, headers, new ArrayHttpHeaders()));
        StringBuilder wire = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            wire.append(out.toString(StandardCharsets.ISO_8859_1));
            out.release();
        }
        assertThat(wire.toString()).isEqualTo("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Trace: a\r\n"
                + "x-trace: b\r\ncontent-length: 0\r\n\r\n");
        // The entry handed out is the iterator itself: each is read before the next.
        List<String> seen = new java.util.ArrayList<>();
        headers.iteratorAsString().forEachRemaining(e -> seen.add(e.getKey() + "=" + e.getValue()));
        assertThat(seen).containsExactly("content-type=text/plain", "X-Trace=a", "x-trace=b", "content-length=0");
        assertThat(new DefaultHttpHeaders().add(headers).getAll("x-trace")).containsExactly("a", "b");
        channel.finishAndReleaseAll();
    }

    @Test
    void refusesWhatNettysHeadersRefuse() {
        HttpHeaders headers = new ArrayHttpHeaders();
        assertThatThrownBy(() -> headers.add("bad name", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token");
        assertThatThrownBy(() -> headers.add("", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> headers.set("x", "a\r\nb: c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prohibited character");
        HttpHeaders trailers = ArrayHttpHeaders.TRAILERS_FACTORY.newHeaders();
        assertThatThrownBy(() -> trailers.add("Content-Length", "1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prohibited trailing header");
        assertThatThrownBy(() -> headers.add("x", List.of("ok", "bad\r\nvalue"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> headers.set("x", List.of("ok", "bad\nvalue"))).isInstanceOf(IllegalArgumentException.class);
        trailers.add("grpc-status", "0");
        assertThat(trailers.get("grpc-status")).isEqualTo("0");
        assertThat(headers.isEmpty()).isTrue();
    }

    @Test
    void behindNettysDecoderAMalformedHeaderMakesAFailedRequest() {
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\nX-Ok: 1\r\n\r\n").decoderResult().isSuccess()).isTrue();
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\nBad Name: 1\r\n\r\n").decoderResult().isFailure()).isTrue();
        assertThat(decode("GET / HTTP/1.1\r\nHost : a\r\n\r\n").decoderResult().isFailure()).isTrue();
        assertThat(decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .decoderResult().isFailure()).isTrue();
    }

    @Test
    void behindNettysDecoderAChunkedBodyKeepsItsTrailers() {
        EmbeddedChannel channel = new EmbeddedChannel(Http1Codecs.server(4096, 8192, 8192));
        channel.writeInbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n", StandardCharsets.ISO_8859_1));
        HttpRequest request = channel.readInbound();
        assertThat(request.headers()).isInstanceOf(ArrayHttpHeaders.class);
        Object part;
        LastHttpContent last = null;
        while ((part = channel.readInbound()) != null) {
            if (part instanceof LastHttpContent l) {
                last = l;
            } else {
                ReferenceCountUtil.release(part);
            }
        }
        assertThat(last).isNotNull();
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("0");
        last.release();
        channel.finishAndReleaseAll();
    }

    private static HttpRequest decode(String raw) {
        EmbeddedChannel channel = new EmbeddedChannel(Http1Codecs.server(4096, 8192, 8192));
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        HttpRequest request = channel.readInbound();
        List<Object> rest = new java.util.ArrayList<>();
        Object more;
        while ((more = channel.readInbound()) != null) {
            rest.add(more);
        }
        rest.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
        return request;
    }
}
