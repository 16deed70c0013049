package io.meshwork.proxy.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ADS stream to the control plane: feeds responses to {@link XdsState}, sends its ACK/NACKs,
 * applies complete configs to the {@link ConfigStore}, and reconnects with exponential backoff and
 * jitter. The last good config keeps serving while the control plane is away.
 */
public final class AdsClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdsClient.class);
    private static final long INITIAL_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 10_000;

    private final ManagedChannel channel;
    private final XdsState state;
    private final ConfigStore store;
    private final EventLoopGroup scheduler;
    private final String target;
    // Responses are handled off the event loops: applying a config may bind listeners (blocking).
    private final ExecutorService callbacks = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "xds-client");
        thread.setDaemon(true);
        return thread;
    });
    private long backoffMs = INITIAL_BACKOFF_MS;
    private StreamObserver<DiscoveryRequest> requests;
    // Per type URL: how long to hold the next NACK, growing while the same type keeps being rejected.
    private final java.util.Map<String, Long> nackBackoffMs = new java.util.HashMap<>();
    private volatile boolean closed;
    private final io.grpc.CallCredentials credentials;

    public AdsClient(String target, NodeIdentity node, ConfigStore store, EventLoopGroup group,
                     Class<? extends SocketChannel> channelType) {
        this(target, node, store, group, channelType, null, null);
    }

    /** {@code tls} and {@code credentials} both null: plaintext, as to 15010; else TLS with a credential on every call. */
    public AdsClient(String target, NodeIdentity node, ConfigStore store, EventLoopGroup group,
                     Class<? extends SocketChannel> channelType, io.netty.handler.ssl.SslContext tls,
                     io.grpc.CallCredentials credentials) {
        this.credentials = credentials;
        this.target = target;
        this.state = new XdsState(node.toNode());
        this.store = store;
        this.scheduler = group;
        // The gRPC channel shares the data plane's event loops: no extra threads in a small sidecar.
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target);
        if (tls != null) {
            builder.sslContext(tls);
        } else {
            builder.usePlaintext();
        }
        this.channel = builder
                .eventLoopGroup(group)
                .channelType(channelType)
                .executor(callbacks)
                .keepAliveTime(30, TimeUnit.SECONDS)
                // A whole mesh's listeners or routes pass grpc's default 4 MiB at ~16,000 services.
                .maxInboundMessageSize(64 << 20)
                .build();
    }

    public synchronized void start() {
        if (closed) {
            return;
        }
        ResponseObserver observer = new ResponseObserver();
        AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
        requests = (credentials == null ? stub : stub.withCallCredentials(credentials)).streamAggregatedResources(observer);
        for (DiscoveryRequest request : state.initialRequests()) {
            requests.onNext(request);
        }
    }

    private synchronized void onResponse(ResponseObserver from, DiscoveryResponse response) {
        if (from.done || closed) {
            return;
        }
        backoffMs = INITIAL_BACKOFF_MS;
        store.controlPlaneConnected(true);
        XdsState.Outcome outcome = state.onResponse(response);
        if (outcome.rejection().isPresent()) {
            String detail = outcome.rejection().get();
            LOG.warn("NACK {} version {}: {}", response.getTypeUrl(), response.getVersionInfo(), detail);
            store.rejected(detail);
            // A control plane answers a NACK by resending what it has; without a pause the same bad
            // resource would bounce back and forth as fast as the network allows.
            long delay = nackBackoffMs.getOrDefault(response.getTypeUrl(), 0L);
            nackBackoffMs.put(response.getTypeUrl(), Math.min(MAX_BACKOFF_MS * 3, Math.max(500, delay * 2)));
            StreamObserver<DiscoveryRequest> stream = requests;
            scheduler.schedule(() -> send(from, stream, outcome.requests()), delay, TimeUnit.MILLISECONDS);
            return;
        }
        nackBackoffMs.remove(response.getTypeUrl());
        // Apply before acknowledging: an ACK says the config is in effect.
        outcome.config().ifPresent(store::apply);
        send(from, requests, outcome.requests());
    }

    private synchronized void send(ResponseObserver from, StreamObserver<DiscoveryRequest> stream,
                                   java.util.List<DiscoveryRequest> toSend) {
        if (from.done || closed) {
            return;
        }
        for (DiscoveryRequest request : toSend) {
            stream.onNext(request);
        }
    }

    private synchronized void onStreamEnd(ResponseObserver from, Throwable error) {
        if (from.done) {
            return;
        }
        from.done = true;
        store.controlPlaneConnected(false);
        if (closed) {
            return;
        }
        long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        LOG.warn("xDS stream to {} ended ({}); {}, reconnecting in {} ms", target,
                error == null ? "closed by server" : error.getMessage(),
                store.hasCompleteConfig() ? "serving the last good config" : "no config yet", delay);
        scheduler.schedule(this::start, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (requests != null) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException ignored) {
                    // The stream may already be gone; closing the channel below is what matters.
                }
            }
        }
        channel.shutdownNow();
        callbacks.shutdown();
    }

    private final class ResponseObserver implements StreamObserver<DiscoveryResponse> {
        boolean done;

        @Override
        public void onNext(DiscoveryResponse response) {
            onResponse(this, response);
        }

        @Override
        public void onError(Throwable error) {
            onStreamEnd(this, error);
        }

        @Override
        public void onCompleted() {
            onStreamEnd(this, null);
        }
    }
}
