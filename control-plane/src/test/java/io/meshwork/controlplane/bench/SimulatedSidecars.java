package io.meshwork.controlplane.bench;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshwork.controlplane.xds.AdsTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * N simulated proxies for the push benchmarks: raw ADS streams on loopback ({@link AdsTestClient}),
 * one channel and one node each, subscribed to CDS, EDS, LDS and RDS, ACKing every response. A
 * {@link Round} waits until every one of them has ACKed a new version of one type, and counts the
 * responses of every type they got meanwhile.
 */
final class SimulatedSidecars implements AutoCloseable {

    static final List<String> TYPES = List.of(Resources.V3.CLUSTER_TYPE_URL, Resources.V3.ENDPOINT_TYPE_URL,
            Resources.V3.LISTENER_TYPE_URL, Resources.V3.ROUTE_TYPE_URL);

    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<AdsTestClient> streams = new ArrayList<>();
    /** Per client, type URL → the version it ACKed last. */
    private final List<Map<String, String>> acked = new ArrayList<>();
    private volatile Round round;

    private SimulatedSidecars() {
    }

    /** Connects one client per node to 127.0.0.1:{@code port}; returns once each has ACKed all four types. */
    static SimulatedSidecars connect(int port, List<Node> nodes, Duration timeout) throws InterruptedException {
        SimulatedSidecars sidecars = new SimulatedSidecars();
        CountDownLatch configured = new CountDownLatch(nodes.size() * TYPES.size());
        for (int i = 0; i < nodes.size(); i++) {
            int id = i;
            Map<String, String> versions = new ConcurrentHashMap<>();
            sidecars.acked.add(versions);
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                    .maxInboundMessageSize(256 << 20).build();
            sidecars.channels.add(channel);
            AdsTestClient client = new AdsTestClient(channel, nodes.get(i), true, (typeUrl, version) -> {
                if (versions.put(typeUrl, version) == null) {
                    configured.countDown();
                }
                Round current = sidecars.round;
                if (current != null) {
                    current.acked(id, typeUrl, version);
                }
            });
            TYPES.forEach(client::subscribe);
            sidecars.streams.add(client);
        }
        if (!configured.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            sidecars.close();
            throw new IllegalStateException("not all " + nodes.size() + " clients got their first config within "
                    + timeout.toSeconds() + " s");
        }
        return sidecars;
    }

    int size() {
        return streams.size();
    }

    /** CDS, EDS, LDS or RDS: the short name of one of {@link #TYPES}. */
    static String shortName(String typeUrl) {
        return List.of("CDS", "EDS", "LDS", "RDS").get(TYPES.indexOf(typeUrl));
    }

    /** Starts a round: from now on, the first ACK of a {@code typeUrl} version other than each client's current one counts. */
    Round expectChange(String typeUrl) {
        Round next = new Round(typeUrl, acked.stream().map(v -> v.getOrDefault(typeUrl, "")).toList());
        round = next;
        return next;
    }

    /** One change being pushed to every client. */
    static final class Round {
        private final String typeUrl;
        private final List<String> before;
        private final long[] ackNanos;
        private final CountDownLatch done;
        /** Type URL → responses of that type, all clients together, since the round started. */
        private final Map<String, Integer> responses = new java.util.LinkedHashMap<>();

        private Round(String typeUrl, List<String> before) {
            this.typeUrl = typeUrl;
            this.before = before;
            this.ackNanos = new long[before.size()];
            this.done = new CountDownLatch(before.size());
            TYPES.forEach(type -> responses.put(type, 0));
        }

        private synchronized void acked(int client, String type, String version) {
            responses.merge(type, 1, Integer::sum);
            if (type.equals(typeUrl) && ackNanos[client] == 0 && !version.equals(before.get(client))) {
                ackNanos[client] = System.nanoTime();
                done.countDown();
            }
        }

        /** Waits for every client; returns, per client, the {@link System#nanoTime()} of its ACK. */
        long[] await(Duration timeout) throws InterruptedException {
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(done.getCount() + " of " + before.size() + " clients did not ACK a new "
                        + typeUrl + " within " + timeout.toSeconds() + " s");
            }
            synchronized (this) {
                return ackNanos.clone();
            }
        }

        /** Type URL → how many responses of that type all clients got (and ACKed) since the round started. */
        synchronized Map<String, Integer> responses() {
            return Map.copyOf(responses);
        }
    }

    @Override
    public void close() throws InterruptedException {
        streams.forEach(AdsTestClient::close);
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
