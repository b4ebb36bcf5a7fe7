package io.tidelog.server;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import io.tidelog.message.GrpcErrors;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a standby coordinator serves in place of the leader's services: every method of the service fails at once
 * with {@code NOT_LEADER}, naming the leader when one is known, so that clients go there.
 */
final class StandbyServices {
    private StandbyServices() {
    }

    /** {@code service} with every method refused; {@code leader} is asked at each call. */
    static ServerServiceDefinition notLeader(ServiceDescriptor service, Supplier<Optional<String>> leader) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service);
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            refuse(b, m, leader);
        }
        return b.build();
    }

    private static <Q, R> void refuse(ServerServiceDefinition.Builder b, MethodDescriptor<Q, R> method,
                                      Supplier<Optional<String>> leader) {
        ServerCallHandler<Q, R> handler = new ServerCallHandler<Q, R>() {
            @Override
            public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
                StatusRuntimeException e = GrpcErrors.notLeader(leader.get().orElse(null),
                        "this coordinator stands by: another leads the cluster");
                Metadata trailers = e.getTrailers();
                call.close(e.getStatus(), trailers == null ? new Metadata() : trailers);
                return new ServerCall.Listener<Q>() {
                };
            }
        };
        b.addMethod(method, handler);
    }
}
