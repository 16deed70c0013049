package io.meshwork.controlplane.xds;

import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.service.load_stats.v3.LoadReportingServiceGrpc;
import io.envoyproxy.envoy.service.load_stats.v3.LoadStatsRequest;
import io.envoyproxy.envoy.service.load_stats.v3.LoadStatsResponse;
import io.grpc.stub.StreamObserver;

/**
 * Envoy's load reporting service (LRS), answered and ignored. A cluster with a MeshCircuitBreaker's
 * {@code maxRequests} names this server as its {@code lrs_server} for proxyless clients, because grpc-java (1.85)
 * counts a cluster's calls in flight, and so enforces {@code max_requests} (gRFC A32), only for clusters that report
 * load. The stream asks for no cluster's load, once an hour, so clients send next to nothing.
 */
final class LoadReportSink extends LoadReportingServiceGrpc.LoadReportingServiceImplBase {

    @Override
    public StreamObserver<LoadStatsRequest> streamLoadStats(StreamObserver<LoadStatsResponse> responses) {
        responses.onNext(LoadStatsResponse.newBuilder().setLoadReportingInterval(Durations.fromSeconds(3600)).build());
        return new StreamObserver<>() {
            @Override
            public void onNext(LoadStatsRequest report) {
            }

            @Override
            public void onError(Throwable cause) {
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }
}
