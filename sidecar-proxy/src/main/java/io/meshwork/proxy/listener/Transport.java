package io.meshwork.proxy.listener;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The event loops and channel classes: native epoll when it loads, NIO otherwise. One group serves
 * listeners, upstream connections and the xDS stream, so a request never hops threads.
 */
public record Transport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel, String name) {

    public static Transport create(int threads) {
        if (Epoll.isAvailable()) {
            return new Transport(new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory()),
                    EpollServerSocketChannel.class, EpollSocketChannel.class, "epoll");
        }
        return new Transport(new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory()),
                NioServerSocketChannel.class, NioSocketChannel.class, "nio");
    }

    public void shutdown() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
