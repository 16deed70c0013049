package io.meshwork.controlplane.translate;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Resources of one type with the SHA-256 of each one's deterministic encoding (Struct maps are
 * unordered otherwise). The version is the hash of those digests in order, so it depends on the
 * content only, however the list was put together: a part shared by many proxies is encoded and
 * hashed once, and joining it to a proxy's own part costs one hash over 32 bytes per resource.
 */
final class HashedResources<T extends Message> {

    private static final int DIGEST_BYTES = 32;

    private final List<T> resources;
    private final byte[] digests;
    private final String version;

    private HashedResources(List<T> resources, byte[] digests, String version) {
        this.resources = resources;
        this.digests = digests;
        this.version = version;
    }

    List<T> resources() {
        return resources;
    }

    String version() {
        return version;
    }

    static <T extends Message> HashedResources<T> of(List<T> resources) {
        MessageDigest sha256 = sha256();
        byte[] digests = new byte[resources.size() * DIGEST_BYTES];
        for (int i = 0; i < resources.size(); i++) {
            sha256.update(deterministicEncoding(resources.get(i)));
            System.arraycopy(sha256.digest(), 0, digests, i * DIGEST_BYTES, DIGEST_BYTES);
        }
        return new HashedResources<>(List.copyOf(resources), digests, versionOf(digests));
    }

    /** These resources followed by {@code more}; only {@code more} is encoded and hashed. */
    HashedResources<T> plus(List<T> more) {
        if (more.isEmpty()) {
            return this;
        }
        HashedResources<T> tail = of(more);
        List<T> joined = new ArrayList<>(resources.size() + more.size());
        joined.addAll(resources);
        joined.addAll(tail.resources);
        byte[] digestsJoined = Arrays.copyOf(digests, digests.length + tail.digests.length);
        System.arraycopy(tail.digests, 0, digestsJoined, digests.length, tail.digests.length);
        return new HashedResources<>(List.copyOf(joined), digestsJoined, versionOf(digestsJoined));
    }

    /** First 16 hex digits of the SHA-256 of the per-resource digests. */
    private static String versionOf(byte[] digests) {
        return HexFormat.of().formatHex(sha256().digest(digests), 0, 8);
    }

    private static byte[] deterministicEncoding(Message resource) {
        byte[] bytes = new byte[resource.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        try {
            resource.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return bytes;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
