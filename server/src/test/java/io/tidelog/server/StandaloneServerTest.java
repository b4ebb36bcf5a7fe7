package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tidelog.common.ErrorCode;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.ClusterStatus;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.ConsumeResponse;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.GetStatusRequest;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.ProduceResult;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.StreamingNodeGrpc;
import io.tidelog.proto.TimeTickHeader;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.CommitTxnHeader;
import io.tidelog.proto.TxnHeader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The standalone server over gRPC, with the generated stubs: produce, consume, status and bad input. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneServerTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    StandaloneServer server;
    ManagedChannel channel;

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir, Map.of(
                "server.port", "0",
                "coord.pchannel.count", "4",
                "wal.local.segment.bytes", "4MiB",
                "wal.local.spare.segments", "1",
                "message.max.bytes", "1MiB"));
        channel = NettyChannelBuilder.forTarget(server.address()).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    static ErrorCode code(Throwable t) {
        if (t instanceof StatusRuntimeException s && s.getTrailers() != null) {
            String c = s.getTrailers().get(GrpcErrors.CODE_KEY);
            if (c != null) {
                return ErrorCode.fromCode(Integer.parseInt(c));
            }
        }
        return ErrorCode.UNKNOWN;
    }

    @Test
    void producedMessagesAreConsumedInTimeTickOrder() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-1", 0)) {
            assertThat(p.next(WAIT).getOpened().getPchannel()).isEqualTo("pchannel-1");
            for (int i = 0; i < 100; i++) {
                p.send(i, GrpcProducer.raw("pchannel-1_a", ByteString.copyFromUtf8("m" + i)));
            }
            for (int i = 0; i < 100; i++) {
                ProduceResponse r = p.next(WAIT);
                assertThat(r.getResult().hasAppended()).as("result %s", r).isTrue();
            }
        }
        Iterator<ConsumeResponse> it = StreamingNodeGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .consume(ConsumeRequest.newBuilder().setVchannel("pchannel-1_a")
                        .setPolicy(DeliverPolicyProto.newBuilder().setAll(true))
                        .addTypes(MessageType.RAW).build());
        assertThat(it.next().hasStarted()).isTrue();
        long lastTt = 0;
        int i = 0;
        while (i < 100) {
            for (ImmutableMessageProto m : messages(it.next())) {
                assertThat(m.getMessage().getPayload().toStringUtf8()).isEqualTo("m" + i++);
                assertThat(m.getMessage().getTimeTick()).isGreaterThan(lastTt);
                lastTt = m.getMessage().getTimeTick();
            }
        }
    }

    /** Raw envelopes of random sizes; every fourth with a property, every seventh with a key (not plain). */
    static List<MessageEnvelope> mixedEnvelopes(String vchannel, int n, Random rnd) {
        List<MessageEnvelope> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] payload = new byte[i % 9 == 0 ? 0 : rnd.nextInt(i % 5 == 0 ? 20_000 : 700)];
            rnd.nextBytes(payload);
            MessageEnvelope.Builder b = GrpcProducer.raw(vchannel, ByteString.copyFrom(payload)).toBuilder();
            if (i % 4 == 1) {
                b.putProperties("k" + i, "v" + rnd.nextInt());
            }
            if (i % 7 == 3) {
                b.setIdempotencyKey("key-" + i);
            }
            out.add(b.build());
        }
        return out;
    }

    @Test
    void theBytesOnDiskAndAtTheConsumerAreTheOnesSent() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<MessageEnvelope> sent = mixedEnvelopes("pchannel-2_bytes", 60, rnd);
        List<io.tidelog.proto.MessageIdProto> ids = new ArrayList<>();
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-2", 0)) {
            p.next(WAIT);
            p.sendBatch(0, sent.subList(0, 40));
            for (int i = 40; i < sent.size(); i++) {
                p.send(i, sent.get(i));
            }
            io.tidelog.proto.MessageIdProto[] byRequest = new io.tidelog.proto.MessageIdProto[sent.size()];
            for (int i = 0; i < sent.size(); i++) {
                ProduceResponse r = p.next(WAIT);
                assertThat(r.getResult().hasAppended()).as("seed %d: result %s", seed, r).isTrue();
                byRequest[(int) r.getResult().getRequestId()] = r.getResult().getAppended().getId();
            }
            ids.addAll(List.of(byRequest));
        }
        List<ImmutableMessageProto> got = firstRawMessages("pchannel-2_bytes", sent.size());
        for (int i = 0; i < sent.size(); i++) {
            MessageEnvelope m = got.get(i).getMessage();
            assertThat(got.get(i).getId()).as("seed %d: id of message %d", seed, i).isEqualTo(ids.get(i));
            assertThat(m.getPayload()).as("seed %d: payload %d at the consumer", seed, i).isEqualTo(sent.get(i).getPayload());
            assertThat(m.getPropertiesMap()).isEqualTo(sent.get(i).getPropertiesMap());
            assertThat(m.getIdempotencyKey()).isEqualTo(sent.get(i).getIdempotencyKey());
        }
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
        try (io.tidelog.wal.WalBackend local = io.tidelog.wal.WalBackends.create("local",
                Map.of("wal.local.dir", dir.resolve("wal").toString()));
             io.tidelog.wal.Wal wal = local.open(io.tidelog.wal.OpenOptions.readOnly("pchannel-2"));
             io.tidelog.wal.WalScanner scanner = wal.read(io.tidelog.wal.DeliverPolicy.all())) {
            int found = 0;
            while (found < sent.size()) {
                io.tidelog.wal.LogRecord r = scanner.poll(WAIT);
                assertThat(r).as("seed %d: record of message %d on disk", seed, found).isNotNull();
                if (!r.id().equals(io.tidelog.message.MessageIds.fromProto(ids.get(found)))) {
                    continue; // a TimeTick, or a record of another vchannel
                }
                byte[] record = r.bytes();
                byte[] envelope = sent.get(found).toByteArray();
                assertThat(java.util.Arrays.copyOf(record, envelope.length)).as("seed %d: record %d begins with the"
                        + " envelope as sent", seed, found).isEqualTo(envelope);
                MessageEnvelope stored = MessageEnvelope.parseFrom(record);
                assertThat(stored.getPayload()).isEqualTo(sent.get(found).getPayload());
                assertThat(stored.getTimeTick()).isEqualTo(got.get(found).getMessage().getTimeTick());
                found++;
            }
        }
        start(); // for the common tear-down
    }

    @Test
    void aProducerThatAcceptsRangesHasItsPlainRunsAcknowledgedAsRangesAndTheRestOneByOne() throws Exception {
        long seed = System.nanoTime();
        List<MessageEnvelope> sent = mixedEnvelopes("pchannel-3_ranges", 50, new Random(seed));
        long[] timeTicks = new long[sent.size()];
        io.tidelog.common.MessageId[] ids = new io.tidelog.common.MessageId[sent.size()];
        int ranges = 0;
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-3", 0, true)) {
            p.next(WAIT);
            p.sendBatch(100, sent);
            int answered = 0;
            while (answered < sent.size()) {
                ProduceResponse r = p.next(WAIT);
                assertThat(r).as("seed %d: %d of %d answered", seed, answered, sent.size()).isNotNull();
                for (ProduceResult x : r.getResults().getResultsList()) {
                    int i = (int) x.getRequestId() - 100;
                    assertThat(x.hasAppended()).as("seed %d: %s", seed, x).isTrue();
                    assertThat(sent.get(i).getIdempotencyKey()).as("a keyed message is answered alone").isNotEmpty();
                    ids[i] = io.tidelog.message.MessageIds.fromProto(x.getAppended().getId());
                    timeTicks[i] = x.getAppended().getTimeTick();
                    answered++;
                }
                for (io.tidelog.proto.AppendedRange range : r.getResults().getAppendedList()) {
                    ranges++;
                    long major = 0;
                    long minor = 0;
                    long tt = 0;
                    for (int k = 0; k < range.getTimeTickDeltaCount(); k++) {
                        major += range.getIdMajorDelta(k);
                        minor += range.getIdMinorDelta(k);
                        tt += range.getTimeTickDelta(k);
                        int i = (int) (range.getFirstRequestId() - 100 + k);
                        assertThat(sent.get(i).getIdempotencyKey()).as("a range holds only plain messages").isEmpty();
                        assertThat(ids[i]).as("request %d answered twice", i).isNull();
                        ids[i] = io.tidelog.common.MessageId.of(major, minor);
                        timeTicks[i] = tt;
                        answered++;
                    }
                }
            }
        }
        assertThat(ranges).as("seed %d: the plain messages between keyed ones came as ranges", seed).isGreaterThan(1);
        for (int i = 1; i < sent.size(); i++) {
            assertThat(ids[i]).as("seed %d: ids follow the order sent", seed).isGreaterThan(ids[i - 1]);
            assertThat(timeTicks[i]).as("seed %d: time ticks follow the order sent", seed).isGreaterThan(timeTicks[i - 1]);
        }
        List<ImmutableMessageProto> got = firstRawMessages("pchannel-3_ranges", sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(io.tidelog.message.MessageIds.fromProto(got.get(i).getId())).isEqualTo(ids[i]);
            assertThat(got.get(i).getMessage().getTimeTick()).isEqualTo(timeTicks[i]);
            assertThat(got.get(i).getMessage().getPayload()).isEqualTo(sent.get(i).getPayload());
        }
    }

    @Test
    void producersWhoseRunsMustWaitForRoomInTheWalKeepTheirOrderAndEveryMessageIsAppendedOnce() throws Exception {
        // A WAL queue smaller than one request: most runs cannot be taken on the transport thread and go, with the
        // rest of their request, to the threads that may wait, while other requests of other streams come in.
        stop();
        server = TestStandalone.start(dir.resolve("small-queue"), Map.of(
                "server.port", "0",
                "coord.pchannel.count", "4",
                "wal.local.segment.bytes", "4MiB",
                "wal.local.spare.segments", "1",
                "message.max.bytes", "1MiB",
                "wal.local.batch.max.bytes", "64KiB",
                "wal.local.queue.max.bytes", "64KiB"));
        channel = NettyChannelBuilder.forTarget(server.address()).usePlaintext().build();
        int producers = 4;
        int requests = 12;
        int perRequest = 64; // 64 KiB of payloads: over the queue's limit with its framing
        String v = "pchannel-2_wait";
        List<GrpcProducer> ps = new ArrayList<>();
        try {
            for (int p = 0; p < producers; p++) {
                GrpcProducer producer = new GrpcProducer(channel, "pchannel-2", 0, true);
                ps.add(producer);
                assertThat(producer.next(WAIT).hasOpened()).isTrue();
            }
            for (int r = 0; r < requests; r++) {
                for (int p = 0; p < producers; p++) {
                    List<MessageEnvelope> batch = new ArrayList<>();
                    for (int i = 0; i < perRequest; i++) {
                        byte[] payload = new byte[1024];
                        java.nio.ByteBuffer.wrap(payload).putInt(p).putInt(r * perRequest + i);
                        batch.add(GrpcProducer.raw(v, ByteString.copyFrom(payload)));
                    }
                    ps.get(p).sendBatch((long) r * perRequest, batch);
                }
            }
            for (int p = 0; p < producers; p++) {
                io.tidelog.common.MessageId[] ids = new io.tidelog.common.MessageId[requests * perRequest];
                int answered = 0;
                while (answered < ids.length) {
                    ProduceResponse r = ps.get(p).next(WAIT);
                    assertThat(r).as("producer %d: %d of %d answered", p, answered, ids.length).isNotNull();
                    assertThat(r.getResults().getResultsList()).as("producer %d: no message fails", p).isEmpty();
                    for (io.tidelog.proto.AppendedRange range : r.getResults().getAppendedList()) {
                        long major = 0;
                        long minor = 0;
                        for (int k = 0; k < range.getIdMajorDeltaCount(); k++) {
                            major += range.getIdMajorDelta(k);
                            minor += range.getIdMinorDelta(k);
                            int i = (int) range.getFirstRequestId() + k;
                            assertThat(ids[i]).as("producer %d: request %d answered twice", p, i).isNull();
                            ids[i] = io.tidelog.common.MessageId.of(major, minor);
                            answered++;
                        }
                    }
                }
                for (int i = 1; i < ids.length; i++) {
                    assertThat(ids[i]).as("producer %d: ids follow the order sent", p).isGreaterThan(ids[i - 1]);
                }
            }
        } finally {
            ps.forEach(GrpcProducer::close);
        }
        int[] next = new int[producers];
        for (ImmutableMessageProto m : firstRawMessages(v, producers * requests * perRequest)) {
            java.nio.ByteBuffer b = m.getMessage().getPayload().asReadOnlyByteBuffer();
            int p = b.getInt();
            assertThat(b.getInt()).as("producer %d's messages in the log: in order, each once", p).isEqualTo(next[p]++);
        }
        assertThat(next).containsOnly(requests * perRequest);
    }

    @Test
    void aMessageOverTheSizeLimitIsRejectedAtOnceAndNothingIsWritten() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-0", 0)) {
            p.next(WAIT);
            p.send(1, GrpcProducer.raw("pchannel-0_a", ByteString.copyFrom(new byte[(1 << 20) + 10])));
            p.send(2, GrpcProducer.raw("pchannel-0_a", ByteString.copyFromUtf8("small")));
            ProduceResponse big = p.next(WAIT);
            ProduceResponse small = p.next(WAIT);
            assertThat(big.getResult().getRequestId()).isEqualTo(1);
            assertThat(ErrorCode.fromCode(big.getResult().getError().getCode())).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(big.getResult().getError().getMessage()).contains("exceeds");
            assertThat(small.getResult().hasAppended()).isTrue();
        }
        assertThat(rawPayloads("pchannel-0_a")).containsExactly("small");
    }

    @Test
    void clientsMayNotSendSystemTypesButTheStepsOfATransaction() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-0", 0)) {
            p.next(WAIT);
            p.send(1, MessageEnvelope.newBuilder().setType(MessageType.TIME_TICK).setVchannel("pchannel-0")
                    .setHeader(MessageHeader.newBuilder().setTimeTick(TimeTickHeader.getDefaultInstance())).build());
            p.send(2, MessageEnvelope.newBuilder().setType(MessageType.COMMIT_TXN).setVchannel("pchannel-0_a")
                    .setHeader(MessageHeader.newBuilder().setCommitTxn(CommitTxnHeader.getDefaultInstance())).build());
            p.send(3, MessageEnvelope.newBuilder().setType(MessageType.TXN).setVchannel("pchannel-0_a")
                    .setHeader(MessageHeader.newBuilder().setTxn(TxnHeader.getDefaultInstance())).build());
            for (int i = 0; i < 3; i++) {
                ProduceResponse r = p.next(WAIT);
                assertThat(ErrorCode.fromCode(r.getResult().getError().getCode())).as("%s", r).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            }
            p.send(4, MessageEnvelope.newBuilder().setType(MessageType.BEGIN_TXN).setVchannel("pchannel-0_a")
                    .setHeader(MessageHeader.newBuilder().setBeginTxn(BeginTxnHeader.getDefaultInstance())).build());
            ProduceResponse begun = p.next(WAIT);
            assertThat(begun.getResult().getAppended().getTxnId()).as("%s", begun).isPositive();
        }
    }

    @Test
    void aMalformedVchannelNameGetsAClearError() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-0", 0)) {
            p.next(WAIT);
            p.send(1, GrpcProducer.raw("no separator here", ByteString.copyFromUtf8("x")));
            p.send(2, GrpcProducer.raw("pchannel-3_a", ByteString.copyFromUtf8("x")));
            ProduceResponse bad = p.next(WAIT);
            assertThat(ErrorCode.fromCode(bad.getResult().getError().getCode())).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(bad.getResult().getError().getMessage()).contains("vchannel");
            ProduceResponse wrong = p.next(WAIT);
            assertThat(ErrorCode.fromCode(wrong.getResult().getError().getCode())).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(wrong.getResult().getError().getMessage()).contains("pchannel-0");
        }
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
                StreamingNodeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .consume(ConsumeRequest.newBuilder().setVchannel("bad name").build()).next());
        assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void anUnknownPchannelIsReportedAsNotServedHere() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-99", 0)) {
            Throwable t = p.error(WAIT);
            assertThat(code(t)).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST);
            assertThat(((StatusRuntimeException) t).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        }
    }

    @Test
    void garbageBytesOnThePortDoNotStopTheServer() throws Exception {
        Random rnd = new Random(42);
        for (int i = 0; i < 5; i++) {
            try (Socket s = new Socket("localhost", server.port())) {
                OutputStream out = s.getOutputStream();
                byte[] junk = new byte[1 + rnd.nextInt(4096)];
                rnd.nextBytes(junk);
                out.write(junk);
                out.flush();
                s.setSoTimeout(2000);
                try {
                    while (s.getInputStream().read() >= 0) {
                        // drain until the server hangs up
                    }
                } catch (java.io.IOException closed) {
                    // the server dropped the connection: what it should do
                }
            }
        }
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-2", 0)) {
            p.next(WAIT);
            p.send(7, GrpcProducer.raw("pchannel-2_a", ByteString.copyFromUtf8("still serving")));
            assertThat(p.next(WAIT).getResult().hasAppended()).isTrue();
        }
    }

    @Test
    void statusListsEveryPchannelWithItsTerm() {
        ClusterStatus st = CoordinatorGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getStatus(GetStatusRequest.getDefaultInstance());
        assertThat(st.getPchannelsList()).hasSize(4);
        assertThat(st.getPchannelsList()).allSatisfy(p -> {
            assertThat(p.getTerm()).isEqualTo(1);
            assertThat(p.getAvailable()).isTrue();
            assertThat(p.getNodeId()).isEqualTo("node-1");
            assertThat(p.getRetainedBytes()).as("the local WAL's segment files").isPositive();
        });
    }

    @Test
    void aRestartBumpsEveryTermAndKeepsTheData() throws Exception {
        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-3", 0)) {
            p.next(WAIT);
            p.send(1, GrpcProducer.raw("pchannel-3_x", ByteString.copyFromUtf8("before restart")));
            assertThat(p.next(WAIT).getResult().hasAppended()).isTrue();
        }
        stop();
        start();
        ClusterStatus st = CoordinatorGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getStatus(GetStatusRequest.getDefaultInstance());
        assertThat(st.getPchannelsList()).allSatisfy(p -> assertThat(p.getTerm()).isEqualTo(2));
        assertThat(rawPayloads("pchannel-3_x")).containsExactly("before restart");
    }

    @Test
    void theNodeChecksCollectionMessagesAndAssignsSegments() throws Exception {
        String v = "pchannel-2_500v0";
        io.tidelog.proto.CollectionSchema schema = io.tidelog.proto.CollectionSchema.newBuilder()
                .addFields(io.tidelog.proto.FieldSchema.newBuilder().setName("id")
                        .setType(io.tidelog.proto.DataType.INT64).setPrimaryKey(true))
                .build();
        io.tidelog.proto.InsertBody rows = io.tidelog.proto.InsertBody.newBuilder().setNumRows(2)
                .addColumns(io.tidelog.proto.Column.newBuilder().setFieldName("id")
                        .setInt64S(io.tidelog.proto.Int64Array.newBuilder().addValues(1).addValues(2)))
                .build();
        MessageEnvelope create = io.tidelog.message.MutableMessage.builder(MessageType.CREATE_COLLECTION, v)
                .header(io.tidelog.proto.CreateCollectionHeader.newBuilder().setCollectionId(500).addPartitionIds(1).build())
                .payload(io.tidelog.proto.CreateCollectionBody.newBuilder().setName("c").setSchema(schema).addVchannels(v).build())
                .build().envelope();
        MessageEnvelope insert = io.tidelog.message.MutableMessage.builder(MessageType.INSERT, v)
                .header(io.tidelog.proto.InsertHeader.newBuilder().setCollectionId(500).build()).payload(rows)
                .build().envelope();
        MessageEnvelope flush = io.tidelog.message.MutableMessage.builder(MessageType.MANUAL_FLUSH, v)
                .header(io.tidelog.proto.ManualFlushHeader.newBuilder().setCollectionId(500).build()).build().envelope();
        MessageEnvelope drop = io.tidelog.message.MutableMessage.builder(MessageType.DROP_COLLECTION, v)
                .header(io.tidelog.proto.DropCollectionHeader.newBuilder().setCollectionId(500).build()).build().envelope();
        MessageEnvelope selfControlled = io.tidelog.message.MutableMessage.builder(MessageType.FLUSH, v)
                .header(io.tidelog.proto.FlushHeader.newBuilder().setCollectionId(500).build()).build().envelope();

        try (GrpcProducer p = new GrpcProducer(channel, "pchannel-2", 0)) {
            p.next(WAIT);
            List<ProduceResponse> results = new ArrayList<>();
            long id = 0;
            for (MessageEnvelope m : List.of(insert, create, insert, flush, drop, insert, selfControlled)) {
                p.send(++id, m);
                results.add(p.next(WAIT));
            }
            assertThat(ErrorCode.fromCode(results.get(0).getResult().getError().getCode())).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(results.get(0).getResult().getError().getMessage()).contains(v, "before CreateCollection");
            assertThat(results.subList(1, 5)).allSatisfy(r -> assertThat(r.getResult().hasAppended()).as("%s", r).isTrue());
            assertThat(results.get(3).getResult().getAppended().getFlushedSegmentIdsList()).hasSize(1);
            assertThat(results.get(5).getResult().getError().getMessage()).contains(v, "collection 500", "after DropCollection");
            assertThat(ErrorCode.fromCode(results.get(6).getResult().getError().getCode())).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
        Iterator<ConsumeResponse> it = StreamingNodeGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .consume(ConsumeRequest.newBuilder().setVchannel(v).setPolicy(DeliverPolicyProto.newBuilder().setAll(true))
                        .build());
        List<MessageType> types = new ArrayList<>();
        while (!types.contains(MessageType.DROP_COLLECTION)) {
            for (ImmutableMessageProto m : messages(it.next())) {
                if (m.getMessage().getType() != MessageType.TIME_TICK) {
                    types.add(m.getMessage().getType());
                }
            }
        }
        assertThat(types).containsExactly(MessageType.CREATE_COLLECTION, MessageType.CREATE_SEGMENT, MessageType.INSERT,
                MessageType.FLUSH, MessageType.MANUAL_FLUSH, MessageType.DROP_COLLECTION);
    }

    /** At least the first {@code count} RAW messages of {@code vchannel}, read from its start. */
    private List<ImmutableMessageProto> firstRawMessages(String vchannel, int count) {
        Iterator<ConsumeResponse> it = StreamingNodeGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .consume(ConsumeRequest.newBuilder().setVchannel(vchannel)
                        .setPolicy(DeliverPolicyProto.newBuilder().setAll(true)).addTypes(MessageType.RAW).build());
        assertThat(it.next().hasStarted()).isTrue();
        List<ImmutableMessageProto> got = new ArrayList<>();
        while (got.size() < count) {
            got.addAll(messages(it.next()));
        }
        return got;
    }

    static List<ImmutableMessageProto> messages(ConsumeResponse r) {
        return r.hasBatch() ? r.getBatch().getMessagesList() : r.hasMessage() ? List.of(r.getMessage()) : List.of();
    }

    private List<String> rawPayloads(String vchannel) {
        List<String> out = new ArrayList<>();
        Iterator<ConsumeResponse> it = StreamingNodeGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS)
                .consume(ConsumeRequest.newBuilder().setVchannel(vchannel).setPolicy(DeliverPolicyProto.newBuilder().setAll(true))
                        .addTypes(MessageType.RAW).build());
        try {
            while (it.hasNext()) {
                for (ImmutableMessageProto m : messages(it.next())) {
                    out.add(m.getMessage().getPayload().toStringUtf8());
                }
            }
        } catch (StatusRuntimeException deadline) {
            assertThat(deadline.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
        return out;
    }
}
