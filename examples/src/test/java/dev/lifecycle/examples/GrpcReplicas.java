package dev.lifecycle.examples;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.StatusOr;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/**
 * gRPC channels for the tests: to one replica, or one channel to several loopback replicas (pick-first, as a client
 * of a Kubernetes Service holds one connection): it stays on the first replica until that one sends GOAWAY or refuses
 * connections, then connects to the next.
 */
final class GrpcReplicas {

    private static final String SCHEME = "replicas";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static {
        NameResolverRegistry.getDefaultRegistry().register(new Provider());
    }

    private GrpcReplicas() {
    }

    static ManagedChannel channel(int... ports) {
        StringBuilder target = new StringBuilder(SCHEME + ":///");
        for (int i = 0; i < ports.length; i++) {
            target.append(i == 0 ? "" : ",").append(ports[i]);
        }
        return NettyChannelBuilder.forTarget(target.toString()).usePlaintext().build();
    }

    private static final class Provider extends NameResolverProvider {
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
            return SCHEME;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!SCHEME.equals(target.getScheme())) {
                return null;
            }
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            for (String port : target.getPath().substring(1).split(",")) {
                groups.add(new EquivalentAddressGroup(new InetSocketAddress(LOOPBACK, Integer.parseInt(port))));
            }
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return SCHEME;
                }

                @Override
                public void start(Listener2 listener) {
                    listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
                }

                @Override
                public void shutdown() {
                }
            };
        }
    }
}
