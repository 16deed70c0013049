package io.meshwork.controlplane.ca;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Workload tokens for local mode, as Kuma's dataplane tokens: a JWT (ES256, compact form) the
 * control plane signs, naming one workload and its identity, presented by {@code mesh proxy
 * --token-file}. The signing key lives in the CA folder as {@code token-key.pem}, so tokens made
 * by {@code mesh token create} are honoured by the control plane that reads the same folder.
 */
public final class WorkloadTokens implements CallerAuthenticator {

    public static final String KEY_FILE = "token-key.pem";
    private static final String ISSUER = "meshwork";
    private static final String ALGORITHM = "SHA256withECDSAinP1363Format"; // JOSE's r||s form of ES256
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final int MAX_TOKEN_CHARS = 8192;

    private final KeyPair keys;
    private final PrivateKey signingKey;
    private final PublicKey verifyingKey;
    private final String trustDomain;
    private final Clock clock;

    public WorkloadTokens(KeyPair keys, String trustDomain, Clock clock) {
        this.keys = keys;
        this.signingKey = keys.getPrivate();
        this.verifyingKey = keys.getPublic();
        this.trustDomain = trustDomain;
        this.clock = clock;
    }

    /** The tokens of the CA folder {@code dir}: its {@code token-key.pem}, made on first use. */
    public static WorkloadTokens inFolder(Path dir, String trustDomain) {
        return new WorkloadTokens(loadOrCreateKey(dir.resolve(KEY_FILE)), trustDomain, Clock.systemUTC());
    }

    /** Tokens signed by a key that lives only in this process. */
    public static WorkloadTokens inMemory(String trustDomain) {
        return new WorkloadTokens(KeyPairs.newEcP256(), trustDomain, Clock.systemUTC());
    }

    KeyPair keys() {
        return keys;
    }

    /** A token for {@code workload} running as namespace/serviceAccount, valid for {@code ttl}. */
    public String create(String workload, String namespace, String serviceAccount, Duration ttl) {
        SpiffeId identity = new SpiffeId(trustDomain, namespace, serviceAccount);
        Instant now = clock.instant();
        Struct claims = Struct.newBuilder()
                .putFields("iss", string(ISSUER))
                .putFields("sub", string(identity.toString()))
                .putFields("workload", string(workload))
                .putFields("iat", number(now.getEpochSecond()))
                .putFields("exp", number(now.plus(ttl).getEpochSecond()))
                .build();
        String header = B64.encodeToString("{\"alg\":\"ES256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = B64.encodeToString(json(claims).getBytes(StandardCharsets.UTF_8));
        String signed = header + "." + payload;
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(signingKey);
            signature.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + B64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a workload token: " + e.getMessage(), e);
        }
    }

    @Override
    public Caller authenticate(String token) throws CallerRejectedException {
        if (token == null || token.isBlank()) {
            throw new CallerRejectedException("no workload token (authorization: Bearer <token>)");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new CallerRejectedException("workload token longer than " + MAX_TOKEN_CHARS + " characters");
        }
        String[] parts = token.strip().split("\\.", -1);
        if (parts.length != 3) {
            throw new CallerRejectedException("workload token is not a JWT (header.payload.signature)");
        }
        Struct header = decode(parts[0], "header");
        if (!"ES256".equals(header.getFieldsOrDefault("alg", string("")).getStringValue())) {
            throw new CallerRejectedException("workload token algorithm must be ES256");
        }
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(verifyingKey);
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!signature.verify(B64D.decode(parts[2]))) {
                throw new CallerRejectedException("workload token signature does not verify (not signed by this control plane's key)");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CallerRejectedException("workload token signature cannot be checked: " + e.getMessage());
        }
        Struct claims = decode(parts[1], "payload");
        if (!ISSUER.equals(claims.getFieldsOrDefault("iss", string("")).getStringValue())) {
            throw new CallerRejectedException("workload token issuer is not " + ISSUER);
        }
        long expires = (long) claims.getFieldsOrDefault("exp", number(0)).getNumberValue();
        if (clock.instant().getEpochSecond() >= expires) {
            throw new CallerRejectedException("workload token expired at " + Instant.ofEpochSecond(expires));
        }
        SpiffeId identity;
        try {
            identity = SpiffeId.parse(claims.getFieldsOrDefault("sub", string("")).getStringValue());
        } catch (IllegalArgumentException e) {
            throw new CallerRejectedException("workload token subject: " + e.getMessage());
        }
        if (!identity.trustDomain().equals(trustDomain)) {
            throw new CallerRejectedException("workload token is for trust domain " + identity.trustDomain()
                    + ", this mesh is " + trustDomain);
        }
        return new Caller(identity, claims.getFieldsOrDefault("workload", string("")).getStringValue());
    }

    private static Struct decode(String part, String what) throws CallerRejectedException {
        try {
            Struct.Builder struct = Struct.newBuilder();
            JsonFormat.parser().merge(new String(B64D.decode(part), StandardCharsets.UTF_8), struct);
            return struct.build();
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            throw new CallerRejectedException("workload token " + what + " is not base64url JSON");
        }
    }

    private static String json(Struct struct) {
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(struct);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    private static Value number(long n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    private static KeyPair loadOrCreateKey(Path file) {
        try {
            if (Files.exists(file)) {
                PrivateKey key = Pem.readPrivateKey(file);
                return new KeyPair(publicKeyOf(key, file), key);
            }
            KeyPair keys = KeyPairs.newEcP256();
            Files.createDirectories(file.getParent());
            CaDirectory.writeKeyFile(file, Pem.write(keys.getPrivate()));
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The EC public key of a private key: its point is the generator times the private scalar. */
    private static PublicKey publicKeyOf(PrivateKey key, Path file) {
        if (!(key instanceof ECPrivateKey ec)) {
            throw new IllegalArgumentException(file + ": the token key must be an EC P-256 key");
        }
        var params = org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util.convertSpec(ec.getParams());
        var point = params.getG().multiply(ec.getS()).normalize();
        try {
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                    new java.security.spec.ECPoint(point.getAffineXCoord().toBigInteger(),
                            point.getAffineYCoord().toBigInteger()), ec.getParams()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": cannot derive the public key: " + e.getMessage(), e);
        }
    }
}
