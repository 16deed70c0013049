package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.http.KnownHeaderNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The codec of a pooled HTTP/1.1 upstream connection: Netty's request encoder and response decoder.
 * A connection carries one exchange at a time (no pipelining), so one flag says whether the response
 * answers a HEAD (Netty's HttpClientCodec keeps a queue of methods for that). Well-known header
 * names, the version and common status lines decode to shared constants instead of new strings for
 * every response. A final response whose whole body came in the same read is handed on as one
 * {@link FullHttpResponse}, which the downstream encoder writes as one buffer (one write syscall, one
 * outbound entry) rather than headers and body apart.
 */
final class UpstreamHttp1Codec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    private static final int MAX_KNOWN_LENGTH = 32;
    private static final AsciiString[][] KNOWN_BY_LENGTH = index(KnownHeaderNames.ALL);
    private static final String HTTP_1_1 = "HTTP/1.1";
    private static final String[] STATUS_CODES = new String[600];
    private static final String[] REASON_PHRASES = new String[600];
    /** Netty's status objects by code: its {@code valueOf} is a large switch that showed in profiles. */
    private static final HttpResponseStatus[] STATUSES = new HttpResponseStatus[600];

    static {
        for (int code = 100; code < STATUS_CODES.length; code++) {
            STATUS_CODES[code] = Integer.toString(code);
            STATUSES[code] = HttpResponseStatus.valueOf(code);
            REASON_PHRASES[code] = STATUSES[code].reasonPhrase().toString();
        }
    }

    private boolean headInFlight;

    UpstreamHttp1Codec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    private static AsciiString[][] index(List<AsciiString> names) {
        List<List<AsciiString>> byLength = new ArrayList<>();
        for (int i = 0; i <= MAX_KNOWN_LENGTH; i++) {
            byLength.add(new ArrayList<>());
        }
        for (AsciiString name : names) {
            byLength.get(name.length()).add(name);
        }
        AsciiString[][] index = new AsciiString[MAX_KNOWN_LENGTH + 1][];
        for (int i = 0; i <= MAX_KNOWN_LENGTH; i++) {
            index[i] = byLength.get(i).toArray(AsciiString[]::new);
        }
        return index;
    }

    /** The shared lower-case constant for a well-known header name, or null. */
    static AsciiString knownName(byte[] bytes, int start, int length) {
        if (length > MAX_KNOWN_LENGTH) {
            return null;
        }
        for (AsciiString candidate : KNOWN_BY_LENGTH[length]) {
            if (equalsIgnoreCase(candidate, bytes, start, length)) {
                return candidate;
            }
        }
        return null;
    }

    /** {@code lowerCase} must be lower case; the bytes may be in any case. */
    private static boolean equalsIgnoreCase(AsciiString lowerCase, byte[] bytes, int start, int length) {
        byte[] expected = lowerCase.array();
        int offset = lowerCase.arrayOffset();
        for (int i = 0; i < length; i++) {
            byte b = bytes[start + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != expected[offset + i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsAscii(String expected, byte[] bytes, int start, int length) {
        if (expected.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes[start + i] != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private final class Encoder extends HttpRequestEncoder {

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                headInFlight = HttpMethod.HEAD.equals(request.method());
            }
            super.encode(ctx, msg, out);
        }
    }

    private final class Decoder extends HttpResponseDecoder {

        /** The status code of the status line being split, to recognize its standard reason phrase. */
        private int code;
        /** The connection failed (a reset) rather than ended: its end is not the end of a body. */
        private boolean failed;

        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            if (out.size() == before + 1 && buffer.isReadable() && isFinalResponse(out.get(before))) {
                // The headers alone: decode on (as the caller would next) to see whether the body follows whole.
                super.decode(ctx, buffer, out);
            }
            if (out.size() == before + 2 && isFinalResponse(out.get(before))
                    && out.get(before + 1) instanceof LastHttpContent last && last.decoderResult().isSuccess()) {
                HttpResponse response = (HttpResponse) out.get(before);
                out.set(before, new DefaultFullHttpResponse(response.protocolVersion(), response.status(),
                        last.content(), response.headers(), last.trailingHeaders()));
                out.remove(before + 1);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            if (cause instanceof IOException) {
                failed = true;
            }
            super.exceptionCaught(ctx, cause);
        }

        /**
         * At the connection's end, Netty ends a close-delimited body (no Content-Length, not chunked)
         * as complete, which is right for a FIN and wrong for a reset: then the body was cut short,
         * and the end is handed on as a failure so that the client sees an error, not a whole response.
         */
        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            int before = out.size();
            super.decodeLast(ctx, in, out);
            if (!failed) {
                return;
            }
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof LastHttpContent last && last.decoderResult().isSuccess()) {
                    LastHttpContent cut = new DefaultLastHttpContent(last.content().retain());
                    last.release();
                    cut.setDecoderResult(DecoderResult.failure(
                            new PrematureChannelClosureException("connection reset in the middle of the response body")));
                    out.set(i, cut);
                }
            }
        }

        /** A final (not interim) response's headers, decoded without error, and not already full. */
        private static boolean isFinalResponse(Object msg) {
            return msg instanceof HttpResponse response && !(msg instanceof FullHttpResponse)
                    && response.status().code() >= 200 && response.decoderResult().isSuccess();
        }

        @Override
        protected HttpMessage createMessage(String[] initialLine) {
            if (code != 0 && initialLine[0] == HTTP_1_1 && initialLine[2] == REASON_PHRASES[code]) {
                // The common status line, split to shared constants: its status needs no lookup by phrase.
                return new DefaultHttpResponse(HttpVersion.HTTP_1_1, STATUSES[code], headersFactory);
            }
            return super.createMessage(initialLine);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            // All responses to a HEAD have no body (RFC 9110 9.3.2); interim ones are left to Netty.
            if (headInFlight && ((HttpResponse) msg).status().code() >= 200) {
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
            AsciiString known = knownName(sb, start, length);
            return known != null ? known : super.splitHeaderName(sb, start, length);
        }

        @Override
        protected String splitFirstWordInitialLine(byte[] sb, int start, int length) {
            return equalsAscii(HTTP_1_1, sb, start, length) ? HTTP_1_1
                    : super.splitFirstWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] sb, int start, int length) {
            code = 0;
            if (length == 3 && isDigit(sb[start]) && isDigit(sb[start + 1]) && isDigit(sb[start + 2])) {
                int value = (sb[start] - '0') * 100 + (sb[start + 1] - '0') * 10 + (sb[start + 2] - '0');
                if (value >= 100 && value < STATUS_CODES.length) {
                    code = value;
                    return STATUS_CODES[value];
                }
            }
            return super.splitSecondWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
            if (code != 0) {
                String standard = REASON_PHRASES[code];
                if (equalsAscii(standard, sb, start, length)) {
                    return standard;
                }
            }
            return super.splitThirdWordInitialLine(sb, start, length);
        }
    }
}
