package io.meshwork.controlplane.ca;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.meshwork.certs.CaProtocol;
import io.meshwork.certs.CaProtocol.CertificateRequest;
import io.meshwork.certs.CaProtocol.CertificateResponse;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.CsrRefusedException;
import io.meshwork.certs.IssuedCertificate;
import io.meshwork.certs.LeafRequest;
import io.meshwork.certs.Pem;
import io.meshwork.certs.WorkloadCsrSigner;
import io.meshwork.controlplane.ca.CallerAuthenticator.Caller;
import io.meshwork.controlplane.ca.CallerAuthenticator.CallerRejectedException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA service on 15012: gRPC over TLS (its serving certificate from the mesh CA itself), one
 * call that signs a workload's CSR for the identity its credential proves. Every issue and every
 * refusal is logged with the identity and counted ({@code meshwork_ca_certificates_*}).
 */
public final class CaServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaServer.class);
    private static final Context.Key<String> TOKEN = Context.key("meshwork-bearer-token");
    /** Names the serving certificate answers to: the in-cluster service, and loopback for local mode. */
    public static final List<String> SERVING_NAMES = List.of("meshwork-control-plane.meshwork-system.svc",
            "meshwork-control-plane.meshwork-system.svc.cluster.local", "meshwork-control-plane", "localhost");
    private static final Duration SERVING_CERT_TTL = Duration.ofDays(365);

    private final InetSocketAddress address;
    private final WorkloadCsrSigner signer;
    private final CallerAuthenticator authenticator;
    private final MeterRegistry meters;
    private final Counter issued;
    private final IssuedCertificates issuedCertificates;
    private final io.grpc.BindableService ads;
    private Server server;

    public CaServer(InetSocketAddress address, WorkloadCsrSigner signer, CallerAuthenticator authenticator,
            MeterRegistry meters) {
        this(address, signer, authenticator, meters, new IssuedCertificates());
    }

    /** {@code issuedCertificates} gets each certificate issued, by the caller's workload. */
    public CaServer(InetSocketAddress address, WorkloadCsrSigner signer, CallerAuthenticator authenticator,
            MeterRegistry meters, IssuedCertificates issuedCertificates) {
        this(address, signer, authenticator, meters, issuedCertificates, null);
    }

    /**
     * As above; {@code ads} (the control plane's aggregated discovery service, or null) is served on the same TLS port
     * to callers with the same credential, each only as the workload its credential names ({@link NodeIdentityCheck}).
     */
    public CaServer(InetSocketAddress address, WorkloadCsrSigner signer, CallerAuthenticator authenticator,
            MeterRegistry meters, IssuedCertificates issuedCertificates, io.grpc.BindableService ads) {
        this.ads = ads;
        this.issuedCertificates = issuedCertificates;
        this.address = address;
        this.signer = signer;
        this.authenticator = authenticator;
        this.meters = meters;
        this.issued = Counter.builder("meshwork_ca_certificates_issued")
                .description("Workload certificates the CA signed").register(meters);
    }

    public CaServer start() throws IOException {
        CertificateAuthority ca = signer.ca();
        IssuedCertificate serving = ca.issue(new LeafRequest(SERVING_NAMES.get(0), SERVING_NAMES,
                List.of("127.0.0.1"), List.of(), SERVING_CERT_TTL));
        SslContext tls = GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forServer(serving.privateKey(),
                serving.chain().toArray(X509Certificate[]::new))).protocols("TLSv1.3", "TLSv1.2").build();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
                .sslContext(tls)
                .maxInboundMessageSize(CaProtocol.MAX_REQUEST_BYTES)
                .maxInboundMetadataSize(16 * 1024)
                .handshakeTimeout(10, TimeUnit.SECONDS)
                .addService(ServerInterceptors.intercept(service(), new BearerToken()));
        if (ads != null) {
            // The last interceptor runs first: the token goes into the context, then the node is checked against it.
            builder.addService(ServerInterceptors.intercept(ads, new NodeIdentityCheck(authenticator, TOKEN::get),
                            new BearerToken()))
                    .maxInboundMessageSize(64 << 20)
                    .permitKeepAliveTime(10, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true);
        }
        server = builder.build().start();
        LOG.info("CA ready: gRPC over TLS on {}:{} ({}/CreateCertificate{}), root {}", address.getHostString(), port(),
                CaProtocol.SERVICE, ads != null ? ", and xDS (ADS) for authenticated sidecars" : "",
                ca.root().getSubjectX500Principal());
        return this;
    }

    public int port() {
        return server.getPort();
    }

    private ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(CaProtocol.SERVICE)
                .addMethod(CaProtocol.CREATE_CERTIFICATE, ServerCalls.asyncUnaryCall(this::createCertificate))
                .build();
    }

    private void createCertificate(CertificateRequest request, StreamObserver<CertificateResponse> response) {
        Caller caller;
        try {
            caller = authenticator.authenticate(TOKEN.get());
        } catch (CallerRejectedException e) {
            refuse(response, "unauthenticated", null, Status.UNAUTHENTICATED, e.getMessage());
            return;
        }
        try {
            List<X509Certificate> chain = signer.sign(request.csr(), caller.identity(),
                    Duration.ofSeconds(Math.max(0, request.validitySeconds())));
            issued.increment();
            X509Certificate leaf = chain.get(0);
            issuedCertificates.record(caller.identity().namespace(), caller.workload(), new IssuedCertificates.Issued(
                    caller.identity().toString(), leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant()));
            LOG.info("CA: issued {} (workload {}, serial {}, until {})", caller.identity(), caller.workload(),
                    leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant());
            response.onNext(new CertificateResponse(chain.stream().map(Pem::write).toList()));
            response.onCompleted();
        } catch (CsrRefusedException e) {
            Status status = e.reason() == CsrRefusedException.Reason.PERMISSION_DENIED ? Status.PERMISSION_DENIED
                    : Status.INVALID_ARGUMENT;
            refuse(response, e.reason().name().toLowerCase(java.util.Locale.ROOT), caller, status, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("CA: signing for {} failed", caller.identity(), e);
            refuse(response, "internal", caller, Status.INTERNAL, "signing failed: " + e.getMessage());
        }
    }

    private void refuse(StreamObserver<CertificateResponse> response, String reason, Caller caller, Status status,
            String message) {
        Counter.builder("meshwork_ca_certificates_refused").description("CSRs the CA refused, by reason")
                .tag("reason", reason).register(meters).increment();
        LOG.warn("CA: refused {}: {}", caller == null ? "an unauthenticated caller" : caller.identity(), message);
        response.onError(status.withDescription(message).asRuntimeException());
    }

    /** Puts the {@code authorization: Bearer} credential into the call's context. */
    private static final class BearerToken implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            String value = headers.get(CaProtocol.AUTHORIZATION);
            String token = value != null && value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).strip() : null;
            return Contexts.interceptCall(Context.current().withValue(TOKEN, token), call, headers, next);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null) {
            server.shutdown();
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        }
    }
}
