package io.meshwork.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Header names that proxied HTTP/1.1 messages carry most, as shared lower-case constants. A decoded
 * name found here is stored as the constant: it needs no token check, later lookups with the same
 * constant match by identity, and it goes out lower case, as Envoy sends HTTP/1.1 header names.
 */
public final class KnownHeaderNames {

    /** The names, for codecs that index them their own way. */
    public static final List<AsciiString> ALL = List.of(HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.USER_AGENT, HttpHeaderNames.ACCEPT,
            HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderNames.ACCEPT_LANGUAGE, HttpHeaderNames.AUTHORIZATION,
            HttpHeaderNames.COOKIE, HttpHeaderNames.SET_COOKIE, HttpHeaderNames.DATE, HttpHeaderNames.SERVER,
            HttpHeaderNames.VARY, HttpHeaderNames.CACHE_CONTROL, HttpHeaderNames.ETAG, HttpHeaderNames.LAST_MODIFIED,
            HttpHeaderNames.EXPIRES, HttpHeaderNames.LOCATION, HttpHeaderNames.ACCEPT_RANGES,
            HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.AGE, HttpHeaderNames.TRAILER, HttpHeaderNames.TE,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.EXPECT, HttpHeaderNames.ORIGIN, HttpHeaderNames.REFERER,
            HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.RANGE,
            AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-forwarded-proto"),
            AsciiString.cached("proxy-connection"), AsciiString.cached("x-request-id"),
            AsciiString.cached("traceparent"), AsciiString.cached("tracestate"), AsciiString.cached("b3"),
            AsciiString.cached("x-b3-traceid"), AsciiString.cached("x-b3-spanid"),
            AsciiString.cached("x-b3-parentspanid"), AsciiString.cached("x-b3-sampled"),
            AsciiString.cached("grpc-status"), AsciiString.cached("grpc-message"), AsciiString.cached("grpc-encoding"),
            AsciiString.cached("grpc-accept-encoding"), AsciiString.cached("grpc-timeout"),
            HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());

    /** Open addressing on the case-insensitive hash; at most half full. */
    private static final AsciiString[] TABLE = new AsciiString[Integer.highestOneBit(ALL.size() * 2) * 2];

    static {
        int mask = TABLE.length - 1;
        for (AsciiString name : ALL) {
            int i = name.hashCode() & mask;
            while (TABLE[i] != null) {
                i = (i + 1) & mask;
            }
            TABLE[i] = name;
        }
    }

    private KnownHeaderNames() {
    }

    /** The constant for {@code name} (any case), whose {@link AsciiString#hashCode(CharSequence)} is {@code hash}; or null. */
    static AsciiString find(CharSequence name, int hash) {
        int mask = TABLE.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            AsciiString known = TABLE[i];
            if (known == null) {
                return null;
            }
            if (known.hashCode() == hash && (known == name || known.contentEqualsIgnoreCase(name))) {
                return known;
            }
        }
    }
}
