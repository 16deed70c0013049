package io.meshwork.proxy.http;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code x-request-id} values: version-4-shaped UUIDs from ThreadLocalRandom (ids need to be
 * unique, not unpredictable), written straight into an ASCII header value.
 */
final class RequestIds {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestIds() {
    }

    static AsciiString next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        byte[] id = new byte[36];
        hex(high >>> 32, id, 0, 8);
        id[8] = '-';
        hex(high >>> 16, id, 9, 4);
        id[13] = '-';
        hex(high, id, 14, 4);
        id[18] = '-';
        hex(low >>> 48, id, 19, 4);
        id[23] = '-';
        hex(low, id, 24, 12);
        return new AsciiString(id, false);
    }

    /** Writes the low {@code digits} hex digits of {@code value} at {@code offset}. */
    private static void hex(long value, byte[] into, int offset, int digits) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            into[i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
