package io.meshwork.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * Flushes held back to the end of the event loop's current turn: channels written to while the loop
 * handles one batch of ready sockets are flushed together after it, the way HAProxy sends at the end
 * of its polling loop. Netty runs tasks right after the I/O of a turn, so nothing waits for another
 * turn; but the peers (the upstream servers, the clients) now find several connections' data when
 * they wake, instead of being woken once per connection. On a machine whose other core is busy that
 * cut the backend's wake-ups per request and the wait they cost (BENCHMARKS.md, "Sidecar proxy").
 * One per event-loop thread; used only on that thread.
 */
final class LoopFlusher implements Runnable {

    private static final FastThreadLocal<LoopFlusher> FLUSHERS = new FastThreadLocal<>() {
        @Override
        protected LoopFlusher initialValue() {
            return new LoopFlusher();
        }
    };

    private final List<Channel> channels = new ArrayList<>();
    private boolean scheduled;

    private LoopFlusher() {
    }

    /**
     * Flushes the channel at the end of this turn of its event loop (now, if called off the loop). An
     * HTTP/2 stream's flush is its connection's, once per turn for all its streams: a stream channel
     * writes through to its connection at once, and each stream's own flush was a pass through the
     * connection's pipeline and flow controller (BENCHMARKS.md, "Sidecar proxy").
     */
    static void flushLater(Channel channel) {
        if (channel instanceof Http2StreamChannel) {
            flushConnectionLater(channel.parent()); // an upstream HTTP/2 connection's stream
            return;
        }
        if (!channel.eventLoop().inEventLoop()) {
            channel.flush();
            return;
        }
        LoopFlusher flusher = FLUSHERS.get();
        List<Channel> channels = flusher.channels;
        if (!channels.isEmpty() && channels.get(channels.size() - 1) == channel) {
            return;
        }
        add(flusher, channel);
    }

    /**
     * Flushes an HTTP/2 connection at the end of this turn of its event loop, once for all its streams
     * that asked (a downstream connection's streams, {@link Http2StreamDispatcher}, or an upstream one's
     * stream channels).
     */
    static void flushConnectionLater(Channel connection) {
        if (!connection.eventLoop().inEventLoop()) {
            connection.flush();
            return;
        }
        LoopFlusher flusher = FLUSHERS.get();
        // Streams of several connections interleave in a turn: look for this one among them all.
        if (flusher.channels.contains(connection)) {
            return;
        }
        add(flusher, connection);
    }

    private static void add(LoopFlusher flusher, Channel channel) {
        flusher.channels.add(channel);
        if (!flusher.scheduled) {
            flusher.scheduled = true;
            channel.eventLoop().execute(flusher);
        }
    }

    @Override
    public void run() {
        // By index: a flush can make a handler write and ask again; that channel joins this round.
        for (int i = 0; i < channels.size(); i++) {
            channels.get(i).flush();
        }
        channels.clear();
        scheduled = false;
    }
}
