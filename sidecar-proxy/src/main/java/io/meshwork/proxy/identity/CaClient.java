package io.meshwork.proxy.identity;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.meshwork.certs.CaProtocol;
import io.meshwork.certs.CaProtocol.CertificateRequest;
import io.meshwork.certs.CaProtocol.CertificateResponse;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's certificate from the control plane's CA: a key made here (it never leaves the
 * process), a CSR for the workload's SPIFFE ID, the chain back; renewed with a new key at half
 * its lifetime (with jitter, so a fleet does not renew in step), retried with backoff when the CA
 * cannot be reached, until the certificate in hand expires. The token is read from its file at
 * every request, as a projected ServiceAccount token is rotated in place.
 */
public final class CaClient implements WorkloadCertificateSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaClient.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Renewal at 50% of the lifetime, moved by up to this share either way. */
    private static final double JITTER = 0.1;

    /** Where and how to reach the CA. */
    public record Options(String address, Path rootCertFile, Path tokenFile, SpiffeId identity, Duration requestedTtl) {
    }

    private final Options options;
    private final Clock clock;
    private final ManagedChannel channel;
    private final ScheduledExecutorService scheduler;
    private final List<Consumer<WorkloadCertificate>> listeners = new CopyOnWriteArrayList<>();
    private volatile WorkloadCertificate current;

    public CaClient(Options options) {
        this(options, Clock.systemUTC());
    }

    CaClient(Options options, Clock clock) {
        this.options = options;
        this.clock = clock;
        List<X509Certificate> roots = Pem.readCertificates(options.rootCertFile());
        try {
            this.channel = NettyChannelBuilder.forTarget(options.address())
                    .sslContext(GrpcSslContexts.forClient().trustManager(roots.toArray(X509Certificate[]::new)).build())
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS to the CA at " + options.address() + ": " + e.getMessage(), e);
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ca-client");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Gets the first certificate, retrying until {@code within} has passed, then keeps it renewed.
     * Throws with the CA's last answer when none came in time.
     */
    public CaClient start(Duration within) {
        Instant deadline = clock.instant().plus(within);
        Duration backoff = MIN_BACKOFF;
        while (true) {
            try {
                renew();
                return this;
            } catch (RuntimeException e) {
                if (refusedForGood(e) || clock.instant().plus(backoff).isAfter(deadline)) {
                    throw new IllegalStateException("no workload certificate from the CA at " + options.address()
                            + " within " + within.toSeconds() + " s: " + describe(e), e);
                }
                LOG.warn("workload certificate: CA at {} failed ({}); retrying in {} ms", options.address(), describe(e),
                        backoff.toMillis());
                sleep(backoff);
                backoff = next(backoff);
            }
        }
    }

    /**
     * When {@code xdsTarget} is this CA's address, how the ADS stream reaches it: over the same TLS (trusting the mesh's
     * root) with the same bearer token on every call, so the control plane serves it only this workload's config.
     * Empty for any other target (plaintext xDS, local mode).
     */
    public java.util.Optional<AuthenticatedChannel> xdsChannel(String xdsTarget) {
        if (!options.address().equals(xdsTarget)) {
            return java.util.Optional.empty();
        }
        try {
            io.netty.handler.ssl.SslContext tls = GrpcSslContexts.forClient()
                    .trustManager(Pem.readCertificates(options.rootCertFile()).toArray(X509Certificate[]::new)).build();
            return java.util.Optional.of(new AuthenticatedChannel(tls, new io.grpc.CallCredentials() {
                @Override
                public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
                    try {
                        Metadata headers = new Metadata();
                        headers.put(CaProtocol.AUTHORIZATION, "Bearer " + readToken());
                        applier.apply(headers);
                    } catch (RuntimeException e) {
                        applier.fail(io.grpc.Status.UNAUTHENTICATED.withDescription(e.getMessage()));
                    }
                }
            }));
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS to " + xdsTarget + ": " + e.getMessage(), e);
        }
    }

    /** TLS to the control plane and the credential every call carries. */
    public record AuthenticatedChannel(io.netty.handler.ssl.SslContext tls, io.grpc.CallCredentials credentials) {
    }

    @Override
    public WorkloadCertificate current() {
        return current;
    }

    @Override
    public void onChange(Consumer<WorkloadCertificate> listener) {
        listeners.add(listener);
    }

    /** One CSR round trip; on success the new certificate is current and the next renewal is scheduled. */
    private void renew() {
        KeyPair keys = KeyPairs.newEcP256();
        Metadata headers = new Metadata();
        headers.put(CaProtocol.AUTHORIZATION, "Bearer " + readToken());
        CertificateResponse response = ClientCalls.blockingUnaryCall(
                ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                CaProtocol.CREATE_CERTIFICATE,
                CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                new CertificateRequest(WorkloadCsrSigner.csr(keys, options.identity()), options.requestedTtl().toSeconds()));
        List<X509Certificate> chain = response.certChain().stream()
                .map(pem -> Pem.readCertificates(pem, "CA response").get(0)).toList();
        if (chain.isEmpty()) {
            throw new IllegalStateException("the CA answered with an empty chain");
        }
        // The root stays out of what TLS presents: peers have it already, from their trust bundle.
        WorkloadCertificate certificate = new WorkloadCertificate(keys.getPrivate(),
                chain.size() > 1 ? chain.subList(0, chain.size() - 1) : chain);
        current = certificate;
        Instant renewAt = renewalTime(certificate.leaf(), clock.instant());
        LOG.info("workload certificate for {} issued (serial {}, valid until {}), renewal at {}", options.identity(),
                certificate.leaf().getSerialNumber().toString(16), certificate.notAfter(), renewAt);
        listeners.forEach(l -> l.accept(certificate));
        scheduleRenewal(renewAt, MIN_BACKOFF);
    }

    private void scheduleRenewal(Instant at, Duration backoff) {
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        scheduler.schedule(() -> {
            try {
                renew();
            } catch (RuntimeException e) {
                WorkloadCertificate held = current;
                Instant expiry = held == null ? Instant.MAX : held.notAfter();
                LOG.warn("workload certificate renewal failed ({}); retrying in {} ms, the current one is valid until {}",
                        describe(e), backoff.toMillis(), expiry);
                scheduleRenewal(clock.instant().plus(backoff), next(backoff));
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * Half-way through the lifetime, give or take {@link #JITTER}; the lifetime counts from when
     * the certificate arrived, not its notBefore, which the CA back-dates for clock skew.
     */
    static Instant renewalTime(X509Certificate leaf, Instant received) {
        Instant from = leaf.getNotBefore().toInstant().isAfter(received) ? leaf.getNotBefore().toInstant() : received;
        long lifetime = Duration.between(from, leaf.getNotAfter().toInstant()).toMillis();
        double share = 0.5 + (ThreadLocalRandom.current().nextDouble() * 2 - 1) * JITTER;
        return from.plusMillis((long) (lifetime * share));
    }

    private String readToken() {
        try {
            String token = Files.readString(options.tokenFile()).strip();
            if (token.isEmpty()) {
                throw new IllegalStateException(options.tokenFile() + ": empty token file");
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + options.tokenFile() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The CA looked at the request and said no (another identity, a lifetime over its maximum):
     * asking again gets the same answer, so start-up fails at once with it. A missing or expired
     * token (UNAUTHENTICATED) may be replaced in its file, and an unreachable CA may come up: those are retried.
     */
    private static boolean refusedForGood(RuntimeException e) {
        return e instanceof StatusRuntimeException s && (s.getStatus().getCode() == Status.Code.PERMISSION_DENIED
                || s.getStatus().getCode() == Status.Code.INVALID_ARGUMENT);
    }

    private static String describe(RuntimeException e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus().getCode() + (s.getStatus().getDescription() == null ? ""
                    : ": " + s.getStatus().getDescription());
        }
        return e.getMessage();
    }

    private static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the CA", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        scheduler.shutdownNow();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
