package io.meshwork.samples.echo;

import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code echo.Echo} gRPC service, defined by hand (no protoc): messages are UTF-8 strings,
 * {@code Say} is unary and {@code Stream} is server-streaming. Clients use the descriptors with
 * grpc-java; the echo server speaks the wire format itself on its one HTTP/2 port.
 */
public final class EchoGrpc {

    public static final String SERVICE_NAME = "echo.Echo";

    /** Strings as UTF-8 bytes: enough for a sample whose answers are small JSON documents. */
    public static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** Unary: the request text comes back inside the instance's JSON answer. */
    public static final MethodDescriptor<String, String> SAY = method(MethodType.UNARY, "Say");

    /** Server-streaming: {@code x-echo-count} answers (default 3), one per message. */
    public static final MethodDescriptor<String, String> STREAM = method(MethodType.SERVER_STREAMING, "Stream");

    /** gRPC status codes the server sends (see grpc/doc/statuscodes.md). */
    static final int OK = 0;
    static final int INVALID_ARGUMENT = 3;
    static final int UNIMPLEMENTED = 12;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;

    private EchoGrpc() {
    }

    private static MethodDescriptor<String, String> method(MethodType type, String name) {
        return MethodDescriptor.<String, String>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, name))
                .setRequestMarshaller(UTF8)
                .setResponseMarshaller(UTF8)
                .build();
    }

    /** One length-prefixed message: flag byte 0 (uncompressed), 4-byte length, payload. */
    static ByteBuf frame(ByteBufAllocator alloc, String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = alloc.buffer(5 + bytes.length);
        buf.writeByte(0).writeInt(bytes.length).writeBytes(bytes);
        return buf;
    }

    /**
     * The complete messages in {@code body}; a compressed or truncated message is an error that
     * names the offset.
     */
    static List<String> unframe(ByteBuf body) {
        List<String> messages = new ArrayList<>();
        while (body.isReadable()) {
            if (body.readableBytes() < 5) {
                throw new IllegalArgumentException("gRPC message at offset " + body.readerIndex() + ": truncated prefix");
            }
            int flag = body.readUnsignedByte();
            long length = body.readUnsignedInt();
            if (flag != 0) {
                throw new IllegalArgumentException("gRPC message: compressed messages are not supported");
            }
            if (length > body.readableBytes()) {
                throw new IllegalArgumentException("gRPC message: length " + length + " exceeds the "
                        + body.readableBytes() + " bytes received");
            }
            messages.add(body.readCharSequence((int) length, StandardCharsets.UTF_8).toString());
        }
        return messages;
    }
}
