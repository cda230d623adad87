package dev.lifecycle.grpc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import io.grpc.BindableService;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.StatusOr;

/** The two grpc-java transports the module supports: every server test runs on each. */
enum Transport {
    NETTY {
        @Override
        ServerBuilder<?> serverBuilder() {
            return io.grpc.netty.NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0));
        }

        @Override
        ManagedChannelBuilder<?> channelBuilder(String target) {
            return io.grpc.netty.NettyChannelBuilder.forTarget(target).usePlaintext();
        }
    },
    NETTY_SHADED {
        @Override
        ServerBuilder<?> serverBuilder() {
            return io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0));
        }

        @Override
        ManagedChannelBuilder<?> channelBuilder(String target) {
            return io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(target).usePlaintext();
        }
    };

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Targets {@code replicas:///port1,port2}: loopback replicas tried in order, as a Service's one address. */
    static final String REPLICAS_SCHEME = "replicas";

    static {
        NameResolverRegistry.getDefaultRegistry().register(new ReplicasResolverProvider());
    }

    abstract ServerBuilder<?> serverBuilder();

    abstract ManagedChannelBuilder<?> channelBuilder(String target);

    /** A started server on a loopback port with {@code grpc}'s health service and interceptor. */
    Server start(GrpcLifecycle grpc, BindableService... services) throws IOException {
        ServerBuilder<?> builder = serverBuilder();
        for (BindableService service : services) {
            builder.addService(service);
        }
        return builder.addService(grpc.healthService()).intercept(grpc.interceptor()).build().start();
    }

    /** A channel to the server on {@code port}. */
    ManagedChannel channel(int port) {
        return channelBuilder(LOOPBACK.getHostAddress() + ':' + port).build();
    }

    /**
     * One channel (pick-first) to several replicas, as a client of a Kubernetes Service holds one: it stays on the
     * first replica it connected to until that one sends GOAWAY or refuses connections, then connects to the next.
     */
    ManagedChannel channel(int... ports) {
        StringBuilder target = new StringBuilder(REPLICAS_SCHEME + ":///");
        for (int i = 0; i < ports.length; i++) {
            target.append(i == 0 ? "" : ",").append(ports[i]);
        }
        return channelBuilder(target.toString()).build();
    }

    private static final class ReplicasResolverProvider extends NameResolverProvider {
        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }

        @Override
        public String getDefaultScheme() {
            return REPLICAS_SCHEME;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!REPLICAS_SCHEME.equals(target.getScheme())) {
                return null;
            }
            List<InetSocketAddress> addresses = new ArrayList<>();
            for (String port : target.getPath().substring(1).split(",")) {
                addresses.add(new InetSocketAddress(LOOPBACK, Integer.parseInt(port)));
            }
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return "replicas";
                }

                @Override
                public void start(Listener2 listener) {
                    List<EquivalentAddressGroup> groups = new ArrayList<>();
                    for (InetSocketAddress address : addresses) {
                        groups.add(new EquivalentAddressGroup(address));
                    }
                    listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
                }

                @Override
                public void shutdown() {
                }
            };
        }
    }
}
