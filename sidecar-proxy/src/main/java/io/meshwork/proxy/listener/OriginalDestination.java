package io.meshwork.proxy.listener;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * Where a connection was headed before it reached the listener. Without iptables capture that is
 * the listener's own address; with capture, an implementation reads SO_ORIGINAL_DST (the seam for
 * `mesh-init`), and the original port picks the filter chain.
 */
@FunctionalInterface
public interface OriginalDestination {

    InetSocketAddress of(Channel channel);

    /** The listener's own address: right for explicit proxying and for `inbound|<port>` listeners. */
    OriginalDestination LOCAL_ADDRESS = channel -> (InetSocketAddress) channel.localAddress();
}
