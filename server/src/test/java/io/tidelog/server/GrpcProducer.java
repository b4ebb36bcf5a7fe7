package io.tidelog.server;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceOpen;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.RawHeader;
import io.tidelog.proto.StreamingNodeGrpc;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare produce stream over the generated stub: tests of the server without the client library. */
final class GrpcProducer implements AutoCloseable {
    final BlockingQueue<ProduceResponse> responses = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    private final StreamObserver<ProduceRequest> requests;

    GrpcProducer(ManagedChannel channel, String pchannel, long term) {
        this(channel, pchannel, term, false);
    }

    /** With {@code ranges}, the producer accepts runs acknowledged as ranges; responses then come as sent. */
    GrpcProducer(ManagedChannel channel, String pchannel, long term, boolean ranges) {
        requests = StreamingNodeGrpc.newStub(channel).produce(new StreamObserver<>() {
            @Override
            public void onNext(ProduceResponse r) {
                if (r.hasResults() && !ranges) {
                    // one response per result, as the tests read them
                    r.getResults().getResultsList().forEach(x -> responses.add(ProduceResponse.newBuilder().setResult(x).build()));
                } else {
                    responses.add(r);
                }
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        requests.onNext(ProduceRequest.newBuilder().setOpen(ProduceOpen.newBuilder().setPchannel(pchannel).setTerm(term)
                .setAcceptsRanges(ranges)).build());
    }

    static MessageEnvelope raw(String vchannel, ByteString payload) {
        return MessageEnvelope.newBuilder().setType(MessageType.RAW).setVchannel(vchannel)
                .setHeader(MessageHeader.newBuilder().setRaw(RawHeader.getDefaultInstance())).setPayload(payload).build();
    }

    void send(long requestId, MessageEnvelope m) {
        requests.onNext(ProduceRequest.newBuilder().setMessage(ProduceMessage.newBuilder().setRequestId(requestId).setMessage(m)).build());
    }

    /** Sends messages {@code firstId, firstId + 1, ...} in one request. */
    void sendBatch(long firstId, java.util.List<MessageEnvelope> ms) {
        io.tidelog.proto.ProduceBatch.Builder b = io.tidelog.proto.ProduceBatch.newBuilder();
        for (int i = 0; i < ms.size(); i++) {
            b.addMessages(ProduceMessage.newBuilder().setRequestId(firstId + i).setMessage(ms.get(i)));
        }
        requests.onNext(ProduceRequest.newBuilder().setBatch(b).build());
    }

    ProduceResponse next(Duration timeout) throws InterruptedException {
        return responses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    Throwable error(Duration timeout) throws InterruptedException {
        return errors.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            requests.onCompleted();
        } catch (RuntimeException ignored) {
            // already failed
        }
    }
}
