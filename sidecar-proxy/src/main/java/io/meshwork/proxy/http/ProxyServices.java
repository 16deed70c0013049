package io.meshwork.proxy.http;

import io.meshwork.proxy.admin.MeshMetrics;
import io.meshwork.proxy.cluster.ClusterManager;
import io.meshwork.proxy.endpoint.UpstreamPools;
import io.meshwork.proxy.listener.Drain;
import io.meshwork.proxy.listener.Transport;
import io.meshwork.proxy.tls.TlsContexts;

/** What every connection handler needs: routing state, pools, metrics, drain state, transport, TLS contexts. */
public record ProxyServices(ClusterManager clusters, UpstreamPools pools, MeshMetrics metrics, Drain drain,
                            Transport transport, TlsContexts tls) {
}
