package io.meshwork.proxy.filter;

import io.meshwork.proxy.admin.MeshMetrics;

/**
 * What a filter may know of the connection a request came on.
 *
 * @param peerIdentity the SPIFFE ID the client proved with mutual TLS; null for plaintext
 * @param ownIdentity this sidecar's SPIFFE ID; null without a certificate
 */
public record FilterContext(String peerIdentity, String ownIdentity, MeshMetrics metrics) {
}
