package dev.unixsocket.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.impl.transports.IoUringTransport;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.spi.transport.Transport;

import java.net.SocketAddress;

/**
 * Vert.x's io_uring transport with Unix domain sockets added. Vert.x 5.0.7 refuses domain
 * sockets on io_uring although Netty 4.2 has the channels ({@link IoUringDomainSocketChannel},
 * {@link IoUringServerDomainSocketChannel}); this delegates everything to Vert.x's transport
 * and supplies those channels for domain-socket addresses. Plug it in with
 * {@code Vertx.builder().withTransport(IoUringDomainSocketTransport.TRANSPORT)}.
 */
public final class IoUringDomainSocketTransport implements Transport {

  /** The transport to hand to {@code VertxBuilder.withTransport}; named {@code io_uring}. */
  public static final io.vertx.core.transport.Transport TRANSPORT = create();

  private final IoUringTransport delegate = new IoUringTransport();

  private static io.vertx.core.transport.Transport create() {
    IoUringDomainSocketTransport impl;
    try {
      impl = new IoUringDomainSocketTransport();
    } catch (Throwable t) {
      return new TransportInternal("io_uring", false, t, null);
    }
    return new TransportInternal("io_uring", impl.isAvailable(), impl.unavailabilityCause(), impl);
  }

  @Override
  public boolean supportsDomainSockets() {
    return true;
  }

  @Override
  public boolean supportFileRegion() {
    return false;
  }

  @Override
  public boolean isAvailable() {
    return delegate.isAvailable();
  }

  @Override
  public Throwable unavailabilityCause() {
    return delegate.unavailabilityCause();
  }

  @Override
  public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
    if (address.isDomainSocket()) {
      return new DomainSocketAddress(address.path());
    }
    return delegate.convert(address);
  }

  @Override
  public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
    return delegate.convert(address);
  }

  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return delegate.ioHandlerFactory();
  }

  @Override
  public DatagramChannel datagramChannel() {
    return delegate.datagramChannel();
  }

  @Override
  public DatagramChannel datagramChannel(InternetProtocolFamily family) {
    return delegate.datagramChannel(family);
  }

  @Override
  public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
    return domainSocket ? IoUringDomainSocketChannel::new : delegate.channelFactory(false);
  }

  @Override
  public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
    return domainSocket ? IoUringServerDomainSocketChannel::new : delegate.serverChannelFactory(false);
  }

  @Override
  public void configure(DatagramChannel channel, DatagramSocketOptions options) {
    delegate.configure(channel, options);
  }

  @Override
  public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
    if (domainSocket) {
      Transport.super.configure(options, true, bootstrap); // no TCP options on a Unix socket
    } else {
      delegate.configure(options, false, bootstrap);
    }
  }

  @Override
  public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
    if (domainSocket) {
      Transport.super.configure(options, connectTimeout, true, bootstrap);
    } else {
      delegate.configure(options, connectTimeout, false, bootstrap);
    }
  }
}
