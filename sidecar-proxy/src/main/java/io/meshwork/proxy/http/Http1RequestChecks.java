package io.meshwork.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;
import java.util.List;

/**
 * What RFC 9112 asks a server to refuse in an HTTP/1 request head that Netty's decoder lets
 * through: a version other than 1.0 and 1.1 (505), more than one Host (400), and a
 * Transfer-Encoding whose last coding is not chunked, or that names chunked twice (400), since
 * then the body's framing is ambiguous and proxies that disagree on it are a smuggling vector.
 */
final class Http1RequestChecks {

    /** Why a request head is refused, and with what status. */
    record Refusal(HttpResponseStatus status, String reason) {
    }

    private Http1RequestChecks() {
    }

    /** The refusal for {@code request}, or null when its head is acceptable. */
    static Refusal check(HttpRequest request) {
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version " + version.text() + " is not supported (HTTP/1.0, HTTP/1.1 and HTTP/2 are)");
        }
        HttpHeaders headers = request.headers();
        if (moreThanOne(headers, HttpHeaderNames.HOST)) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "more than one Host header");
        }
        // On the path of every request: the common case (no Transfer-Encoding) is one lookup, no copies.
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            String last = null;
            int chunked = 0;
            for (String header : encodings) {
                for (String coding : header.split(",", -1)) {
                    String name = coding.strip();
                    if (name.isEmpty()) {
                        continue;
                    }
                    last = name;
                    if (name.equalsIgnoreCase("chunked")) {
                        chunked++;
                    }
                }
            }
            if (last == null || !last.equalsIgnoreCase("chunked") || chunked > 1) {
                return new Refusal(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding \"" + String.join(", ", encodings)
                        + "\" does not end with one chunked: the body's length cannot be known");
            }
        }
        return null;
    }

    private static boolean moreThanOne(HttpHeaders headers, CharSequence name) {
        if (headers instanceof ArrayHttpHeaders array) {
            return array.hasMoreThanOne(name); // the decoders' headers: no iterator per request
        }
        Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(name);
        if (!values.hasNext()) {
            return false;
        }
        values.next();
        return values.hasNext();
    }
}
