package io.meshwork.proxy.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;

/**
 * The headers of one proxied HTTP/1.1 message, in parallel arrays in arrival order. A message has a
 * handful of headers, read a few times and forwarded once, so a scan (by identity, then the name)
 * beats Netty's hash table (a 16-bucket array and an entry object per header, made for every
 * message). Well-known names are stored as their {@link KnownHeaderNames} constants. Names and values
 * are checked as Netty's default headers check them: names are tokens, values hold no control
 * characters; the decoders count on that to reject a malformed message with 400.
 */
public final class ArrayHttpHeaders extends HttpHeaders {

    /** The factory of message headers for the HTTP/1.1 decoders of both sides. */
    public static final HttpHeadersFactory FACTORY = factory(false);
    /**
     * The factory of trailers: Netty's decoder makes trailers for every message with a body, so their
     * arrays come with the first trailer; and as Netty's trailers, they refuse the framing headers.
     */
    public static final HttpHeadersFactory TRAILERS_FACTORY = factory(true);

    private static final int INITIAL_CAPACITY = 8;
    private static final CharSequence[] NONE = new CharSequence[0];

    private final boolean trailers;
    private CharSequence[] names;
    private CharSequence[] values;
    private int size;
    /**
     * One bit per name hash (its low six bits) of every name added since the last clear: most
     * lookups are for names a message does not have (the hop-by-hop headers stripped from every
     * exchange), and a clear bit answers those without a scan.
     */
    private long nameBits;

    public ArrayHttpHeaders() {
        this(false);
    }

    private ArrayHttpHeaders(boolean trailers) {
        this.trailers = trailers;
        names = trailers ? NONE : new CharSequence[INITIAL_CAPACITY];
        values = trailers ? NONE : new CharSequence[INITIAL_CAPACITY];
    }

    private static HttpHeadersFactory factory(boolean trailers) {
        return new HttpHeadersFactory() {
            @Override
            public HttpHeaders newHeaders() {
                return new ArrayHttpHeaders(trailers);
            }

            @Override
            public HttpHeaders newEmptyHeaders() {
                return new ArrayHttpHeaders(trailers);
            }
        };
    }

    /**
     * Whether the header at {@code i} has this name (whose case-insensitive hash is {@code hash}), in
     * any case. Well-known names are stored as shared constants and asked for by them, so most
     * matches are by identity; a miss is mostly told by the hash, which an {@link AsciiString} (every
     * known name, every name the decoders make) caches, so no array of hashes is kept per message.
     */
    private boolean nameAt(int i, CharSequence name, int hash) {
        CharSequence stored = names[i];
        return stored == name
                || AsciiString.hashCode(stored) == hash && AsciiString.contentEqualsIgnoreCase(stored, name);
    }

    private static long bit(int hash) {
        return 1L << (hash & 63);
    }

    private int indexOf(CharSequence name, int from) {
        return indexOf(name, AsciiString.hashCode(name), from);
    }

    /** The first header at or after {@code from} with this name (and its hash), or -1. */
    private int indexOf(CharSequence name, int hash, int from) {
        if ((nameBits & bit(hash)) == 0) {
            return -1;
        }
        for (int i = from; i < size; i++) {
            if (nameAt(i, name, hash)) {
                return i;
            }
        }
        return -1;
    }

    /** The name to store: a known name's constant, or the name itself once checked as Netty checks it. */
    private CharSequence checkedName(CharSequence name) {
        if (name == null || name.length() == 0) {
            throw new IllegalArgumentException("empty headers are not allowed [" + name + ']');
        }
        AsciiString known = KnownHeaderNames.find(name, AsciiString.hashCode(name));
        if (trailers && (known == HttpHeaderNames.CONTENT_LENGTH || known == HttpHeaderNames.TRANSFER_ENCODING
                || known == HttpHeaderNames.TRAILER)) {
            throw new IllegalArgumentException("prohibited trailing header: " + name);
        }
        if (known != null) {
            return known;
        }
        int index = HttpHeaderValidationUtil.validateToken(name);
        if (index != -1) {
            throw new IllegalArgumentException("a header name can only contain \"token\" characters, but found "
                    + "invalid character 0x" + Integer.toHexString(name.charAt(index)) + " at index " + index
                    + " of header '" + name + "'.");
        }
        return name;
    }

    private static CharSequence checkedValue(Object value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        CharSequence text;
        if (value instanceof CharSequence sequence) {
            text = sequence;
        } else if (value instanceof Date date) {
            text = DateFormatter.format(date);
        } else {
            text = value.toString();
        }
        int index = HttpHeaderValidationUtil.validateValidHeaderValue(text);
        if (index != -1) {
            throw new IllegalArgumentException("a header value contains prohibited character 0x"
                    + Integer.toHexString(text.charAt(index)) + " at index " + index + '.');
        }
        return text;
    }

    /** Adds a header whose name was checked. */
    private void append(CharSequence name, CharSequence value) {
        if (size == names.length) {
            int capacity = Math.max(size * 2, 4);
            names = Arrays.copyOf(names, capacity);
            values = Arrays.copyOf(values, capacity);
        }
        names[size] = name;
        values[size] = value;
        nameBits |= bit(AsciiString.hashCode(name));
        size++;
    }

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : values[i].toString();
    }

    /** The first value parsed, or null when absent or not parseable. */
    private <T> T parsed(CharSequence name, Function<String, T> parser) {
        String value = get(name);
        if (value == null) {
            return null;
        }
        try {
            return parser.apply(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public Integer getInt(CharSequence name) {
        return parsed(name, Integer::valueOf);
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer value = getInt(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Short getShort(CharSequence name) {
        return parsed(name, Short::valueOf);
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short value = getShort(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        Date date = parsed(name, DateFormatter::parseHttpDate);
        return date == null ? null : date.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long value = getTimeMillis(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        int hash = AsciiString.hashCode(name);
        int i = indexOf(name, hash, 0);
        if (i < 0) {
            return Collections.emptyList();
        }
        int next = indexOf(name, hash, i + 1);
        if (next < 0) {
            return Collections.singletonList(values[i].toString());
        }
        List<String> all = new ArrayList<>(4);
        for (; i >= 0; i = indexOf(name, hash, i + 1)) {
            all.add(values[i].toString());
        }
        return all;
    }

    /** Whether {@code name} is there more than once: two lookups, no iterator (on every request's Host). */
    boolean hasMoreThanOne(CharSequence name) {
        int hash = AsciiString.hashCode(name);
        int i = indexOf(name, hash, 0);
        return i >= 0 && indexOf(name, hash, i + 1) >= 0;
    }

    @Override
    public Iterator<? extends CharSequence> valueCharSequenceIterator(CharSequence name) {
        return new Iterator<>() {
            private final int hash = AsciiString.hashCode(name);
            private int next = indexOf(name, hash, 0);

            @Override
            public boolean hasNext() {
                return next >= 0;
            }

            @Override
            public CharSequence next() {
                if (next < 0) {
                    throw new NoSuchElementException();
                }
                CharSequence value = values[next];
                next = indexOf(name, hash, next + 1);
                return value;
            }
        };
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        Iterator<? extends CharSequence> values = valueCharSequenceIterator(name);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return values.hasNext();
            }

            @Override
            public String next() {
                return values.next().toString();
            }
        };
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> entries = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            entries.add(new AbstractMap.SimpleImmutableEntry<>(names[i].toString(), values[i].toString()));
        }
        return entries;
    }

    @Override
    public boolean contains(String name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        int hash = AsciiString.hashCode(name);
        for (int i = indexOf(name, hash, 0); i >= 0; i = indexOf(name, hash, i + 1)) {
            if (ignoreCase ? AsciiString.contentEqualsIgnoreCase(values[i], value)
                    : AsciiString.contentEquals(values[i], value)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a value of the header, read as a comma-separated list with each element trimmed,
     * holds {@code value}: what Netty's version answers ({@code HttpUtil.isKeepAlive} and
     * {@code isTransferEncodingChunked} ask it of every message), without an iterator or a
     * substring per element.
     */
    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        int hash = AsciiString.hashCode(name);
        for (int i = indexOf(name, hash, 0); i >= 0; i = indexOf(name, hash, i + 1)) {
            if (listContains(values[i], value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    private static boolean listContains(CharSequence list, CharSequence expected, boolean ignoreCase) {
        int length = list.length();
        int begin = 0;
        while (true) {
            int end = AsciiString.indexOf(list, ',', begin);
            if (end < 0) {
                // Netty skips an empty element after a trailing comma, but not an empty whole value.
                return (begin == 0 || begin < length) && trimmedEquals(list, begin, length, expected, ignoreCase);
            }
            if (trimmedEquals(list, begin, end, expected, ignoreCase)) {
                return true;
            }
            begin = end + 1;
        }
    }

    /** Whether {@code text[begin, end)}, without leading and trailing whitespace, is {@code expected}. */
    private static boolean trimmedEquals(CharSequence text, int begin, int end, CharSequence expected,
            boolean ignoreCase) {
        while (begin < end && text.charAt(begin) <= ' ') {
            begin++;
        }
        while (end > begin && text.charAt(end - 1) <= ' ') {
            end--;
        }
        if (end - begin != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            char a = text.charAt(begin + i);
            char b = expected.charAt(i);
            if (a != b && (!ignoreCase || asciiLower(a) != asciiLower(b))) {
                return false;
            }
        }
        return true;
    }

    private static char asciiLower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    /**
     * Walks the headers in order. As in Netty's {@code ReadOnlyHttp2Headers}, the entry handed out is
     * the iterator itself, valid until the next call to {@code next()}: the encoder writes every
     * header through here, and an entry object per header was a fifth of a request's garbage.
     */
    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new FieldIterator();
    }

    private final class FieldIterator implements Iterator<Map.Entry<CharSequence, CharSequence>>,
            Map.Entry<CharSequence, CharSequence> {
        private int next;
        private int current = -1;

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public Map.Entry<CharSequence, CharSequence> next() {
            if (next >= size) {
                throw new NoSuchElementException();
            }
            current = next++;
            return this;
        }

        @Override
        public CharSequence getKey() {
            return names[current];
        }

        @Override
        public CharSequence getValue() {
            return values[current];
        }

        @Override
        public CharSequence setValue(CharSequence value) {
            throw new UnsupportedOperationException("set the header through the headers");
        }

        @Override
        public String toString() {
            return names[current] + ": " + values[current];
        }
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<String> names() {
        Set<String> result = new LinkedHashSet<>();
        for (int i = 0; i < size; i++) {
            if (indexOf(names[i], 0) == i) { // the first of its name, whatever its case
                result.add(names[i].toString());
            }
        }
        return result;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        append(checkedName(name), checkedValue(value));
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        return add((CharSequence) name, values);
    }

    @Override
    public HttpHeaders add(CharSequence name, Iterable<?> values) {
        return putAll(name, values, false);
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    /** Replaces the first occurrence in place (the order stays) and drops the others. */
    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        CharSequence checked = checkedValue(value);
        int i = indexOf(name, 0);
        if (i < 0) {
            append(checkedName(name), checked);
            return this;
        }
        values[i] = checked;
        removeFrom(name, i + 1);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        return set((CharSequence) name, values);
    }

    @Override
    public HttpHeaders set(CharSequence name, Iterable<?> values) {
        return putAll(name, values, true);
    }

    /** Adds every value (after the old ones go, if {@code replace}); nothing changes if one is refused. */
    private HttpHeaders putAll(CharSequence name, Iterable<?> values, boolean replace) {
        CharSequence checkedName = checkedName(name);
        List<CharSequence> checked = new ArrayList<>();
        for (Object value : values) {
            checked.add(checkedValue(value));
        }
        if (replace) {
            removeFrom(name, 0);
        }
        for (CharSequence value : checked) {
            append(checkedName, value);
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        removeFrom(name, 0);
        return this;
    }

    private void removeFrom(CharSequence name, int from) {
        int hash = AsciiString.hashCode(name);
        if ((nameBits & bit(hash)) == 0) {
            return;
        }
        int kept = from;
        for (int i = from; i < size; i++) {
            if (!nameAt(i, name, hash)) {
                names[kept] = names[i];
                values[kept] = values[i];
                kept++;
            }
        }
        Arrays.fill(names, kept, size, null);
        Arrays.fill(values, kept, size, null);
        size = kept;
    }

    @Override
    public HttpHeaders clear() {
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        size = 0;
        nameBits = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        ArrayHttpHeaders copy = new ArrayHttpHeaders(trailers);
        copy.names = Arrays.copyOf(names, Math.max(size, names.length));
        copy.values = Arrays.copyOf(values, Math.max(size, values.length));
        copy.size = size;
        copy.nameBits = nameBits;
        return copy;
    }
}
