package io.meshwork.proxy.route;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a request's query string as Envoy's router does for {@code query_parameters}: {@code name=value} pairs
 * split on {@code &}, names and values percent-decoded ({@code +} stays a plus), the first value of a name counting;
 * a name without {@code =} has the empty value.
 */
final class QueryParameters {

    private QueryParameters() {
    }

    /** The first value of {@code name} in {@code query} (the part after {@code ?}, may be null), or null. */
    static String firstValue(String query, String name) {
        if (query == null) {
            return null;
        }
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            int equals = query.indexOf('=', start);
            int nameEnd = equals < 0 || equals > end ? end : equals;
            if (nameEnd > start && decode(query.substring(start, nameEnd)).equals(name)) {
                return nameEnd == end ? "" : decode(query.substring(nameEnd + 1, end));
            }
            start = end + 1;
        }
        return null;
    }

    private static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int low = high >= 0 ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (c == '%' && low >= 0) {
                bytes.write(high * 16 + low);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
