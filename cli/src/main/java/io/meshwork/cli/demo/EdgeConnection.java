package io.meshwork.cli.demo;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 keep-alive connection to an edge listener, as {@code curl -H 'Host: ...'} talks to it: a request in
 * origin form with the {@code Host} header given (which the JDK's HTTP client does not let a caller set), the answer's
 * status and echo version read, its body (by {@code Content-Length} or chunked) skipped.
 */
final class EdgeConnection implements AutoCloseable {

    /** The status, the version that answered ({@code x-echo-upstream-version}, else {@code x-echo-version}), reuse. */
    record Answer(int status, String version, boolean keepAlive) {
    }

    private static final int TIMEOUT_MILLIS = 5000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    EdgeConnection(InetSocketAddress address) throws IOException {
        socket = new Socket();
        try {
            socket.connect(address, 2000);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    Answer get(String path, String host) throws IOException {
        out.write(("GET " + (path == null || path.isEmpty() ? "/" : path) + " HTTP/1.1\r\nHost: " + host
                + "\r\nUser-Agent: mesh-demo\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.1 answer: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        boolean keepAlive = !parts[0].equals("HTTP/1.0");
        long length = -1;
        boolean chunked = false;
        String version = null;
        String upstreamVersion = null;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> keepAlive = !value.equalsIgnoreCase("close");
                case "x-echo-version" -> version = value;
                case "x-echo-upstream-version" -> upstreamVersion = value;
                default -> { }
            }
        }
        if (chunked) {
            for (long size = chunkSize(); size > 0; size = chunkSize()) {
                skip(size);
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            skip(length);
        } else {
            keepAlive = false; // the body ends with the connection
        }
        return new Answer(status, upstreamVersion != null ? upstreamVersion : version, keepAlive);
    }

    private long chunkSize() throws IOException {
        String size = line();
        int extension = size.indexOf(';');
        return Long.parseLong((extension >= 0 ? size.substring(0, extension) : size).trim(), 16);
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed in the body");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                buffer.write(b);
            }
            if (buffer.size() > 16 * 1024) {
                throw new IOException("header line over 16 KiB");
            }
        }
        return buffer.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
