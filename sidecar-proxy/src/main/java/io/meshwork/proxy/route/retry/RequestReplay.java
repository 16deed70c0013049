package io.meshwork.proxy.route.retry;

import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayList;
import java.util.List;

/**
 * The request body as it went upstream, kept (as retained views of the same buffers, no copy) so a retry can send it
 * again, up to {@link #LIMIT_BYTES}. A larger body is let go as soon as it passes the limit: that request is not
 * retried, and the proxy's memory per request stays bounded.
 */
public final class RequestReplay {

    /** Bodies up to this size can be retried (Envoy's default per-request buffer limit is 16 KiB–1 MiB; Istio keeps 64 KiB). */
    public static final int LIMIT_BYTES = 64 * 1024;

    private final List<HttpContent> parts = new ArrayList<>(2);
    private long bytes;
    private boolean overflowed;

    /** Keeps a view of {@code part}, which the caller still writes upstream (and so releases). */
    public void keep(HttpContent part) {
        if (overflowed) {
            return;
        }
        bytes += part.content().readableBytes();
        if (bytes > LIMIT_BYTES) {
            overflowed = true;
            release();
            return;
        }
        parts.add(part.retainedDuplicate());
    }

    /** Whether the whole body so far is kept (so the request can be sent again). */
    public boolean complete() {
        return !overflowed;
    }

    /** Fresh views of the body for one more try; the caller writes (and so releases) each. */
    public List<HttpContent> replay() {
        List<HttpContent> copies = new ArrayList<>(parts.size());
        for (HttpContent part : parts) {
            copies.add(part.retainedDuplicate());
        }
        return copies;
    }

    public void release() {
        for (HttpContent part : parts) {
            part.release();
        }
        parts.clear();
    }
}
