package io.meshwork.proxy.http;

import io.meshwork.proxy.listener.HttpChainBinding;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.Http2WindowUpdateFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream HTTP/2 connection's streams, served without a channel each: after Netty's
 * {@link Http2FrameCodec} (flow control, HPACK, SETTINGS, GOAWAY, stream states and limits), this handler
 * gives every stream a {@link Stream} (a {@link Downstream}) and an {@link HttpProxyHandler} relaying it.
 * It does what Netty's {@code Http2MultiplexHandler} and {@code Http2StreamFrameToHttpObjectCodec} did
 * per stream, without a channel, pipeline, handler contexts and promises per stream:
 * <ul>
 *   <li>a stream is created when Netty opens it (as the multiplexer created its channel), and its relay
 *   told when Netty closes it (both ends done, a reset from the client, the connection gone);</li>
 *   <li>reads on demand: the relay asks for the request's next part ({@link Downstream#read}), frames that
 *   came before it asks wait in the stream's queue, and the bytes of a DATA frame are given back to the
 *   flow-control window only once the relay has it, so a client is held back per stream by its window
 *   (backpressure), as the stream channel's reads with AUTO_READ off did;</li>
 *   <li>a stream is writable while the connection is and its send window is not used up
 *   ({@link io.netty.handler.codec.http2.Http2RemoteFlowController#isWritable}); Netty's writability
 *   events for it wake its relay;</li>
 *   <li>HEADERS and DATA frames become Netty's HTTP/1.1 messages, the request's headers straight into
 *   {@link ArrayHttpHeaders} (the same {@link HttpConversionUtil} translation as Netty's codec, the same
 *   stream errors, 400 on the stream from the relay), and back; a request header list larger than
 *   {@code maxHeaderListBytes} goes on as a request marked too long (the relay answers 431, the connection
 *   goes on), trailers that large reset the stream;</li>
 *   <li>closing a stream resets it with CANCEL unless both ends have ended it; a stream error Netty raises
 *   reaches the relay, and the stream is reset with its code.</li>
 * </ul>
 */
public final class Http2StreamDispatcher extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Http2StreamDispatcher.class);
    /** RFC 9113 section 6.5.2: each field counts its name and value octets plus 32. */
    private static final int FIELD_OVERHEAD = 32;
    private static final AsciiString CONTINUE = AsciiString.cached("100");

    private final ProxyServices services;
    private final HttpChainBinding binding;
    private final long maxHeaderListBytes;
    /** The connection began as HTTP/1.1 (h2c upgrade): stream 1's request was measured by that codec. */
    private final boolean upgraded;
    private final IntObjectHashMap<Stream> streams = new IntObjectHashMap<>();
    private ChannelHandlerContext ctx;
    private Http2Connection connection;
    private ExchangeAlarm.Streams alarms;
    /**
     * The promise of the frames nobody waits for. It does not fire a failed write through the connection's
     * pipeline, where Netty's connection handler would take it for an error of the stream or connection: a
     * write fails when its stream is gone (reset by the client), which Netty's stream-closed event says.
     */
    private ChannelPromise quietVoid;

    public Http2StreamDispatcher(ProxyServices services, HttpChainBinding binding, long maxHeaderListBytes,
                                 boolean upgraded) {
        this.services = services;
        this.binding = binding;
        this.maxHeaderListBytes = maxHeaderListBytes;
        this.upgraded = upgraded;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        connection = codec.connection();
        alarms = new ExchangeAlarm.Streams(ctx.channel());
        quietVoid = new VoidChannelPromise(ctx.channel(), false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2StreamFrame frame)) {
            ctx.fireChannelRead(msg); // SETTINGS, PING, GOAWAY: the codec answered them; nothing for the streams
            return;
        }
        if (msg instanceof Http2WindowUpdateFrame) {
            return; // writability events say what a stream's window allows
        }
        Stream stream = frame.stream() == null ? null : streams.get(frame.stream().id());
        if (stream == null && msg instanceof Http2HeadersFrame) {
            stream = open(frame.stream());
        }
        if (stream == null || msg instanceof Http2ResetFrame) {
            // A reset: Netty closes the stream next, which ends its exchange (the stream-closed event).
            ReferenceCountUtil.release(msg);
            return;
        }
        stream.inbound(frame);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2FrameStreamEvent event) {
            Http2FrameStream frameStream = event.stream();
            if (event.type() == Http2FrameStreamEvent.Type.State) {
                switch (frameStream.state()) {
                    case OPEN, HALF_CLOSED_REMOTE -> open(frameStream);
                    case HALF_CLOSED_LOCAL -> {
                        if (frameStream.id() == Http2CodecUtil.HTTP_UPGRADE_STREAM_ID) {
                            open(frameStream);
                        }
                    }
                    case CLOSED -> {
                        Stream stream = streams.remove(frameStream.id());
                        if (stream != null) {
                            stream.closedByCodec();
                        }
                    }
                    default -> {
                    }
                }
            } else {
                Stream stream = streams.get(frameStream.id());
                if (stream != null) {
                    stream.relay.downstreamWritable();
                }
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !streams.isEmpty()) {
            for (Stream stream : new ArrayList<>(streams.values())) {
                stream.relay.downstreamWritable();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException error) {
            // A stream error Netty found in what the client sent: the relay hears of it, the stream is reset.
            Stream stream = streams.get(error.stream().id());
            if (stream != null) {
                stream.relay.downstreamFailed(cause.getCause());
                stream.reset(error.error());
            } else {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(error.error()).stream(error.stream()));
            }
            return;
        }
        if (cause.getClass().getSimpleName().equals("Http2MultiplexActiveStreamsException")) {
            // Netty's wrapper of an error for every open stream (as its multiplexer unwraps it).
            failAll(cause.getCause());
            return;
        }
        if (cause.getCause() instanceof javax.net.ssl.SSLException) {
            failAll(cause);
        }
        ctx.fireExceptionCaught(cause);
    }

    private void failAll(Throwable cause) {
        if (!streams.isEmpty()) {
            for (Stream stream : new ArrayList<>(streams.values())) {
                stream.relay.downstreamFailed(cause);
            }
        }
    }

    private Stream open(Http2FrameStream frameStream) {
        Stream stream = streams.get(frameStream.id());
        if (stream == null) {
            stream = new Stream(frameStream, upgraded && frameStream.id() == Http2CodecUtil.HTTP_UPGRADE_STREAM_ID);
            streams.put(frameStream.id(), stream);
        }
        return stream;
    }

    /** One stream: its request's frames in, its response's out, for its {@link HttpProxyHandler}. */
    private final class Stream implements Downstream {
        private final Http2FrameStream frameStream;
        private final boolean upgradeStream;
        private final HttpProxyHandler relay;
        /** Frames that came before the relay asked for them (null while none has). */
        private ArrayDeque<Http2StreamFrame> queue;
        /** The relay asked for a frame that has not come yet (a new stream's relay waits for its headers). */
        private boolean readPending = true;
        private boolean delivering;
        private boolean headersSeen;
        private boolean rejected;
        private boolean requestEnded;
        private boolean receivedEnd;
        private boolean sentEnd;
        /** Closed by the relay or by Netty: nothing more is read or written, the relay was told once. */
        private boolean closed;

        Stream(Http2FrameStream frameStream, boolean upgradeStream) {
            this.frameStream = frameStream;
            this.upgradeStream = upgradeStream;
            this.relay = new HttpProxyHandler(services, binding, this, alarms);
        }

        void inbound(Http2StreamFrame frame) {
            if (closed) {
                ReferenceCountUtil.release(frame);
                return;
            }
            if (readPending && !delivering && (queue == null || queue.isEmpty())) {
                // The usual case: the relay waits for this frame.
                readPending = false;
                delivering = true;
                try {
                    deliver(frame);
                } finally {
                    delivering = false;
                }
                return;
            }
            if (queue == null) {
                queue = new ArrayDeque<>(4);
            }
            queue.add(frame);
            drain();
        }

        /**
         * The relay asks for the request's next part: a frame that waits is delivered (one per read, as a
         * stream channel with AUTO_READ off read them), else the next to come is.
         */
        @Override
        public void read() {
            if (closed) {
                return;
            }
            readPending = true;
            if (!delivering) {
                drain(); // a read asked while delivering is served by the loop below, not by recursion
            }
        }

        private void drain() {
            if (delivering || queue == null) {
                return;
            }
            delivering = true;
            try {
                Http2StreamFrame next;
                while (readPending && !closed && (next = queue.poll()) != null) {
                    readPending = false;
                    deliver(next);
                }
            } finally {
                delivering = false;
            }
        }

        private void deliver(Http2StreamFrame frame) {
            if (frame instanceof Http2HeadersFrame headers) {
                receivedEnd |= headers.isEndStream();
                headers(headers);
            } else if (frame instanceof Http2DataFrame data) {
                receivedEnd |= data.isEndStream();
                int flowControlled = data.initialFlowControlledBytes();
                if (rejected) {
                    data.release(); // the rest of a request already answered 431: nobody wants its body
                } else {
                    // The frame's buffer becomes the content's (the frame is not released: it is that buffer).
                    relay.received(data.isEndStream()
                            ? new DefaultLastHttpContent(data.content(), ArrayHttpHeaders.TRAILERS_FACTORY)
                            : new DefaultHttpContent(data.content()));
                }
                consumed(flowControlled);
            } else {
                ReferenceCountUtil.release(frame);
            }
        }

        /** The relay has a DATA frame's bytes: they go back to the stream's and the connection's windows. */
        private void consumed(int bytes) {
            if (bytes == 0 || upgradeStream && frameStream.id() == Http2CodecUtil.HTTP_UPGRADE_STREAM_ID) {
                return;
            }
            Http2Stream stream = connection.stream(frameStream.id());
            if (stream == null) {
                return; // closed: Netty gave its unconsumed bytes back to the connection
            }
            try {
                if (connection.local().flowController().consumeBytes(stream, bytes)) {
                    LoopFlusher.flushConnectionLater(ctx.channel()); // a WINDOW_UPDATE was written
                }
            } catch (Http2Exception e) {
                ctx.fireExceptionCaught(e);
            }
        }

        private void headers(Http2HeadersFrame frame) {
            if (rejected) {
                return; // trailers of a request already answered 431
            }
            Http2Headers headers = frame.headers();
            if (!upgradeStream) {
                boolean trailers = headersSeen;
                headersSeen = true;
                long size = headerListSize(headers);
                if (size > maxHeaderListBytes) {
                    if (trailers) {
                        // The request is already on its way upstream: all that is left is to reset the stream.
                        close();
                        return;
                    }
                    rejected = true;
                    requestEnded = frame.isEndStream();
                    relay.received(tooLong(headers, size));
                    return;
                }
            }
            HttpObject message;
            try {
                message = decode(frameStream.id(), headers, frame.isEndStream());
            } catch (Exception e) {
                // As Netty's codec fails it: HttpProxyHandler answers a stream error with 400 on the stream.
                relay.downstreamFailed(e instanceof DecoderException decoder ? decoder : new DecoderException(e));
                return;
            }
            relay.received(message);
        }

        /** The request header limit's answer: the request line only, failed as the HTTP/1.1 codec fails it. */
        private HttpRequest tooLong(Http2Headers headers, long size) {
            HttpRequest request = null;
            CharSequence method = headers.method();
            CharSequence path = headers.path();
            if (method != null && path != null) {
                try {
                    request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method.toString()),
                            path.toString(), new ArrayHttpHeaders());
                } catch (IllegalArgumentException malformed) {
                    // Not a valid request line either: the 431 is still the answer, for a nameless request.
                }
            }
            if (request == null) {
                request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", new ArrayHttpHeaders());
            }
            request.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("HTTP/2 header list of "
                    + size + " bytes is larger than " + maxHeaderListBytes)));
            return request;
        }

        @Override
        public EventLoop eventLoop() {
            return ctx.channel().eventLoop();
        }

        @Override
        public Channel connection() {
            return ctx.channel();
        }

        @Override
        public boolean isWritable() {
            if (closed) {
                return false;
            }
            Http2Stream stream = connection.stream(frameStream.id());
            return stream != null && connection.remote().flowController().isWritable(stream);
        }

        @Override
        public void flushLater() {
            LoopFlusher.flushConnectionLater(ctx.channel());
        }

        @Override
        public void write(Object msg) {
            write(msg, null);
        }

        @Override
        public void writeAndClose(Object last) {
            if (closed) {
                ReferenceCountUtil.release(last);
                return;
            }
            ChannelPromise written = ctx.newPromise();
            written.addListener((ChannelFutureListener) future -> close());
            write(last, written);
            ctx.flush();
        }

        /**
         * Writes a response message as frames (as Netty's codec encodes a server's: headers, then the data and
         * trailers of a last part), {@code promise} (null: none) done when the last of them is written.
         */
        private void write(Object msg, ChannelPromise promise) {
            if (closed) {
                ReferenceCountUtil.release(msg);
                if (promise != null) {
                    promise.tryFailure(new IllegalStateException("stream closed"));
                }
                return;
            }
            if (!(msg instanceof HttpObject object)) {
                ReferenceCountUtil.release(msg); // nothing but HTTP messages is written to a stream
                if (promise != null) {
                    promise.trySuccess();
                }
                return;
            }
            Http2StreamFrame headers = null;
            Http2StreamFrame data = null;
            Http2StreamFrame trailers = null;
            try {
                if (object instanceof HttpResponse response
                        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                        && response.status().code() != 101) {
                    if (!(response instanceof FullHttpResponse)) {
                        throw new EncoderException(response.status() + " must be a FullHttpResponse");
                    }
                    headers = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(response, true), false);
                } else {
                    if (object instanceof HttpMessage message) {
                        boolean noMoreFrames = message instanceof FullHttpMessage full && !full.content().isReadable()
                                && full.trailingHeaders().isEmpty();
                        headers = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(message, true),
                                noMoreFrames);
                    }
                    if (object instanceof LastHttpContent last) {
                        boolean hasTrailers = !last.trailingHeaders().isEmpty();
                        if (last.content().isReadable() || (!(last instanceof FullHttpMessage) && !hasTrailers)) {
                            data = new DefaultHttp2DataFrame(last.content().retain(), !hasTrailers);
                        }
                        if (hasTrailers) {
                            trailers = new DefaultHttp2HeadersFrame(
                                    HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), true), true);
                        }
                    } else if (object instanceof HttpContent content) {
                        data = new DefaultHttp2DataFrame(content.content().retain(), false);
                    }
                }
            } catch (RuntimeException e) {
                ReferenceCountUtil.release(data);
                ReferenceCountUtil.release(msg);
                LOG.debug("stream {}: response not encoded, resetting: {}", frameStream.id(), e.toString());
                if (promise != null) {
                    promise.tryFailure(e);
                }
                reset(Http2Error.INTERNAL_ERROR);
                return;
            }
            ReferenceCountUtil.release(msg); // the frames hold what they need of it (retained)
            Http2StreamFrame last = trailers != null ? trailers : data != null ? data : headers;
            if (last == null) {
                if (promise != null) {
                    promise.trySuccess();
                }
                return;
            }
            boolean ends = endsStream(last);
            sentEnd |= ends;
            if (rejected && !requestEnded && ends) {
                // The client is still sending a request body we will not read: once the 431 is out, ask it
                // to stop without error (RFC 9113 section 8.1), which also frees the stream.
                ChannelPromise resetAfter = promise != null ? promise : ctx.newPromise();
                resetAfter.addListener((ChannelFutureListener) future -> {
                    if (future.isSuccess()) {
                        reset(Http2Error.NO_ERROR);
                    }
                });
                promise = resetAfter;
            }
            send(headers, last, promise);
            send(data, last, promise);
            send(trailers, last, promise);
        }

        private void send(Http2StreamFrame frame, Http2StreamFrame last, ChannelPromise promise) {
            if (frame == null) {
                return;
            }
            frame.stream(frameStream);
            ctx.write(frame, frame == last && promise != null ? promise : quietVoid);
        }

        /** Closes the stream: resets it (CANCEL) unless both ends have ended it. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (receivedEnd && sentEnd) {
                closed();
                return;
            }
            reset(Http2Error.CANCEL);
        }

        /** Resets the stream with {@code error} (if Netty has not closed it yet), then the relay is told it closed. */
        void reset(Http2Error error) {
            if (closed) {
                return;
            }
            if (frameStream.state() != Http2Stream.State.CLOSED && ctx.channel().isActive()) {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(frameStream), quietVoid);
            }
            closed();
        }

        /** Netty closed the stream (both ends done, a reset, the connection gone): the relay hears it now. */
        void closedByCodec() {
            if (release()) {
                relay.downstreamClosed();
            }
        }

        /**
         * The relay closed the stream: it hears it closed after the call in progress (as a stream channel's
         * handlers heard of their channel's close), not from within it.
         */
        private void closed() {
            if (release()) {
                eventLoop().execute(relay::downstreamClosed);
            }
        }

        /**
         * Done with the stream: queued frames go (Netty gives a closed stream's unconsumed bytes back to the
         * connection's window). False when it already was.
         */
        private boolean release() {
            if (closed) {
                return false;
            }
            closed = true;
            if (queue != null) {
                Http2StreamFrame frame;
                while ((frame = queue.poll()) != null) {
                    ReferenceCountUtil.release(frame);
                }
            }
            return true;
        }
    }

    /** As {@code Http2StreamFrameToHttpObjectCodec} decodes a server's HEADERS frame. */
    private static HttpObject decode(int id, Http2Headers headers, boolean endStream) throws Http2Exception {
        CharSequence status = headers.status();
        if (status != null && CONTINUE.contentEquals(status)) {
            return request(id, headers, true);
        }
        if (endStream) {
            if (headers.method() == null && status == null) {
                LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER,
                        ArrayHttpHeaders.TRAILERS_FACTORY);
                HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, last.trailingHeaders(), HttpVersion.HTTP_1_1,
                        true, true);
                return last;
            }
            return request(id, headers, true);
        }
        HttpRequest request = (HttpRequest) request(id, headers, false);
        if (!HttpUtil.isContentLengthSet(request)) {
            request.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return request;
    }

    /**
     * As {@link HttpConversionUtil#toHttpRequest} and {@code toFullHttpRequest} make it (the same checks,
     * the same exceptions), into {@link ArrayHttpHeaders}; a whole one with an empty body of no buffer.
     */
    private static HttpObject request(int id, Http2Headers headers, boolean whole) throws Http2Exception {
        CharSequence method = headers.method();
        if (method == null) {
            throw new NullPointerException("method header cannot be null in conversion to HTTP/1.x");
        }
        boolean connect = HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method);
        CharSequence target = connect ? headers.authority() : headers.path();
        if (target == null) {
            throw new NullPointerException(connect ? "authority header cannot be null in the conversion to HTTP/1.x"
                    : "path header cannot be null in conversion to HTTP/1.x");
        }
        HttpMethod httpMethod = HttpMethod.valueOf(method.toString());
        HttpHeaders fields = new ArrayHttpHeaders();
        HttpRequest request = whole
                ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, httpMethod, target.toString(), Unpooled.EMPTY_BUFFER,
                        fields, ArrayHttpHeaders.TRAILERS_FACTORY.newHeaders())
                : new DefaultHttpRequest(HttpVersion.HTTP_1_1, httpMethod, target.toString(), fields);
        try {
            HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, fields, HttpVersion.HTTP_1_1, false, true);
        } catch (Http2Exception e) {
            throw e;
        } catch (Throwable t) {
            throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, t,
                    "HTTP/2 to HTTP/1.x headers conversion error");
        }
        return request;
    }

    private static boolean endsStream(Http2StreamFrame frame) {
        return frame instanceof Http2HeadersFrame headers && headers.isEndStream()
                || frame instanceof Http2DataFrame data && data.isEndStream();
    }

    /** The header list size as HTTP/2 defines it (and Netty's HPACK decoder measures it). */
    static long headerListSize(Http2Headers headers) {
        long size = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            size += field.getKey().length() + field.getValue().length() + FIELD_OVERHEAD;
        }
        return size;
    }
}
