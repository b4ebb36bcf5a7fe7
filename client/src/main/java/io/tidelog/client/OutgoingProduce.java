package io.tidelog.client;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.ProduceBatch;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.StreamingNodeGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * One request of a produce stream as the client sends it: an open, or appends written straight from their
 * envelopes into gRPC's frame, with no {@code ProduceMessage}, {@code ProduceBatch} or {@code ProduceRequest}
 * built per request. The bytes are those of the {@code ProduceRequest} the generated classes would write
 * (streaming.proto): appends {@code first, first + 1, ...}, as a {@code batch}, or as a plain {@code message}
 * when there is one. Sizes come from the envelopes' cached serialized sizes, each
 * append's computed once as the request is gathered ({@link Appends}); nothing is serialized twice.
 *
 * <p>Immutable: an in-process transport reads the request later, on another thread.
 */
final class OutgoingProduce {
    /** {@code StreamingNode/Produce} with this request type; the response is the generated message. */
    static final MethodDescriptor<OutgoingProduce, ProduceResponse> METHOD = StreamingNodeGrpc.getProduceMethod()
            .toBuilder(new Marshaller(), StreamingNodeGrpc.getProduceMethod().getResponseMarshaller())
            .build();

    private static final int BATCH = ProduceRequest.BATCH_FIELD_NUMBER;
    private static final int MESSAGE = ProduceRequest.MESSAGE_FIELD_NUMBER;
    private static final int BATCH_MESSAGES = ProduceBatch.MESSAGES_FIELD_NUMBER;
    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;

    /** An open (or any request built the usual way), else {@code null}. */
    private final ProduceRequest built;
    private final long firstRequestId;
    private final MessageEnvelope[] envelopes;
    /** The encoded size of each append's {@code ProduceMessage}. */
    private final int[] messageBytes;
    private final int count;
    /** Encoded bytes of the batch's messages (when more than one), or of the one message. */
    private final int bodyBytes;
    private final int totalBytes;

    private OutgoingProduce(ProduceRequest built) {
        this.built = built;
        this.firstRequestId = 0;
        this.envelopes = null;
        this.messageBytes = null;
        this.count = 0;
        this.bodyBytes = 0;
        this.totalBytes = built.getSerializedSize();
    }

    private OutgoingProduce(Appends a) {
        this.built = null;
        this.firstRequestId = a.firstRequestId;
        this.envelopes = a.envelopes;
        this.messageBytes = a.messageBytes;
        this.count = a.count;
        if (count == 1) {
            this.bodyBytes = messageBytes[0];
            this.totalBytes = CodedOutputStream.computeTagSize(MESSAGE)
                    + CodedOutputStream.computeUInt32SizeNoTag(bodyBytes) + bodyBytes;
        } else {
            this.bodyBytes = a.batchBytes;
            this.totalBytes = CodedOutputStream.computeTagSize(BATCH)
                    + CodedOutputStream.computeUInt32SizeNoTag(bodyBytes) + bodyBytes;
        }
    }

    /** A request built the usual way: the open. */
    static OutgoingProduce of(ProduceRequest request) {
        return new OutgoingProduce(request);
    }

    /** Appends {@code envelopes} as requests {@code firstRequestId, firstRequestId + 1, ...}. */
    static OutgoingProduce appends(long firstRequestId, MessageEnvelope[] envelopes) {
        Appends a = new Appends(firstRequestId, envelopes.length);
        for (MessageEnvelope e : envelopes) {
            a.add(e, a.sizeOfNext(e));
        }
        return a.request();
    }

    /**
     * The appends of one request as they are gathered, each sized once: {@link #sizeOfNext} tells what the next
     * one would add to the batch, {@link #add} takes it. Not thread-safe.
     */
    static final class Appends {
        private final long firstRequestId;
        private final MessageEnvelope[] envelopes;
        private final int[] messageBytes;
        private int count;
        private int batchBytes;
        /** {@code ProduceMessage} size of the append {@link #sizeOfNext} was last asked about. */
        private int nextMessageBytes;

        /** Room for {@code capacity} appends, the first as request {@code firstRequestId}. */
        Appends(long firstRequestId, int capacity) {
            this.firstRequestId = firstRequestId;
            this.envelopes = new MessageEnvelope[capacity];
            this.messageBytes = new int[capacity];
        }

        /**
         * The bytes {@code envelope} adds to a batch as the next request: what
         * {@code CodedOutputStream.computeMessageSize(MESSAGES_FIELD_NUMBER, message)} gives for its
         * {@code ProduceMessage}, from the envelope's cached size.
         */
        int sizeOfNext(MessageEnvelope envelope) {
            int m = CodedOutputStream.computeInt64Size(ProduceMessage.REQUEST_ID_FIELD_NUMBER, firstRequestId + count)
                    + CodedOutputStream.computeMessageSize(ProduceMessage.MESSAGE_FIELD_NUMBER, envelope);
            nextMessageBytes = m;
            return CodedOutputStream.computeTagSize(BATCH_MESSAGES) + CodedOutputStream.computeUInt32SizeNoTag(m) + m;
        }

        /** Takes {@code envelope}, just sized by {@link #sizeOfNext} as {@code entryBytes}. */
        void add(MessageEnvelope envelope, int entryBytes) {
            envelopes[count] = envelope;
            messageBytes[count] = nextMessageBytes;
            count++;
            batchBytes += entryBytes;
        }

        int count() {
            return count;
        }

        /** The request; the arrays are kept, not copied, and nothing may be added afterwards. */
        OutgoingProduce request() {
            if (count == 0) {
                throw new IllegalStateException("a produce request carries at least one append");
            }
            return new OutgoingProduce(this);
        }
    }

    /** Appends it carries (0 for an open). */
    int appendCount() {
        return count;
    }

    /** Its encoded size. */
    int serializedSize() {
        return totalBytes;
    }

    /** Writes the encoded request. */
    void writeTo(CodedOutputStream out) throws IOException {
        if (built != null) {
            built.writeTo(out);
            return;
        }
        if (count == 1) {
            out.writeTag(MESSAGE, LENGTH_DELIMITED);
            out.writeUInt32NoTag(bodyBytes);
            writeMessage(out, firstRequestId, envelopes[0]);
            return;
        }
        out.writeTag(BATCH, LENGTH_DELIMITED);
        out.writeUInt32NoTag(bodyBytes);
        for (int i = 0; i < count; i++) {
            out.writeTag(BATCH_MESSAGES, LENGTH_DELIMITED);
            out.writeUInt32NoTag(messageBytes[i]);
            writeMessage(out, firstRequestId + i, envelopes[i]);
        }
    }

    private static void writeMessage(CodedOutputStream out, long requestId, MessageEnvelope envelope) throws IOException {
        out.writeInt64(ProduceMessage.REQUEST_ID_FIELD_NUMBER, requestId);
        out.writeMessage(ProduceMessage.MESSAGE_FIELD_NUMBER, envelope);
    }

    /** The encoded request as a byte array (tests, and transports that read rather than drain). */
    byte[] toByteArray() {
        byte[] out = new byte[totalBytes];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        try {
            writeTo(cos);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cos.checkNoSpaceLeft();
        return out;
    }

    /**
     * Streams a request the way gRPC's protobuf marshaller does: of known length, drained straight into the
     * transport's buffers, or read as bytes (encoded on the first read) by a transport that does not drain.
     */
    private static final class Marshaller implements MethodDescriptor.Marshaller<OutgoingProduce> {
        @Override
        public InputStream stream(OutgoingProduce value) {
            return new RequestStream(value);
        }

        @Override
        public OutgoingProduce parse(InputStream stream) {
            try {
                return of(ProduceRequest.parseFrom(stream));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class RequestStream extends InputStream implements Drainable, KnownLength {
        private OutgoingProduce request;
        private ByteArrayInputStream bytes;

        RequestStream(OutgoingProduce request) {
            this.request = request;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            if (request == null) {
                return bytes == null ? 0 : (int) bytes.transferTo(target);
            }
            int size = request.totalBytes;
            CodedOutputStream out = CodedOutputStream.newInstance(target,
                    Math.min(size, CodedOutputStream.DEFAULT_BUFFER_SIZE));
            request.writeTo(out);
            out.flush();
            request = null;
            return size;
        }

        private ByteArrayInputStream bytes() {
            if (request != null) {
                bytes = new ByteArrayInputStream(request.toByteArray());
                request = null;
            }
            return bytes != null ? bytes : new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public int read() {
            return bytes().read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return bytes().read(b, off, len);
        }

        @Override
        public int available() {
            return request != null ? request.totalBytes : bytes == null ? 0 : bytes.available();
        }
    }
}
