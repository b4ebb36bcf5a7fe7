package io.tidelog.wal.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The append path against Kafka's {@link MockProducer}, whose commits and fences the tests control: what each kind
 * of failure reports (nothing written, or outcome unknown), batching, and back-pressure.
 */
class TransactionalWriterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<TransactionalWriter> writers = new ArrayList<>();

    /** A mock producer whose commits wait at a gate the test opens, and that tells when a commit is waiting. */
    static final class GatedProducer extends MockProducer<byte[], byte[]> {
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch committing = new CountDownLatch(1);

        GatedProducer() {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public void commitTransaction() {
            committing.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.commitTransaction();
        }
    }

    private static MockProducer<byte[], byte[]> producer() {
        MockProducer<byte[], byte[]> p = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        p.initTransactions();
        return p;
    }

    private TransactionalWriter writer(MockProducer<byte[], byte[]> producer, LongPredicate isCommitted,
                                       String... keyValues) {
        Map<String, String> properties = new java.util.HashMap<>(Map.of(
                KafkaWalConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9", KafkaWalConfig.REQUEST_TIMEOUT, "2s"));
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put(keyValues[i], keyValues[i + 1]);
        }
        if (!producer.transactionInitialized()) {
            producer.initTransactions();
        }
        TransactionalWriter w = new TransactionalWriter("p-w", 3, KafkaWalConfig.from(properties), producer, isCommitted);
        writers.add(w);
        return w;
    }

    @AfterEach
    void closeWriters() {
        writers.forEach(TransactionalWriter::close);
    }

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static ErrorCode failureCode(CompletableFuture<MessageId> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause()).code();
        }
        throw new AssertionError("expected the append to fail, it was acknowledged");
    }

    private static LongPredicate unused() {
        return offset -> {
            throw new AssertionError("no commit was fenced, nothing to settle");
        };
    }

    @Test
    void appendsQueuedWhileATransactionCommitsShareTheNextTransaction() throws Exception {
        GatedProducer producer = new GatedProducer();
        producer.initTransactions();
        TransactionalWriter w = writer(producer, unused());
        CompletableFuture<MessageId> first = w.append(text("first"));
        assertThat(producer.committing.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<MessageId>> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            queued.add(w.append(text("queued-" + i)));
        }
        producer.gate.countDown();

        MessageId previous = first.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        for (CompletableFuture<MessageId> f : queued) {
            MessageId id = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(id).isGreaterThan(previous);
            previous = id;
        }
        assertThat(producer.commitCount()).as("one transaction for the first append, one for the 50 queued").isEqualTo(2);
        assertThat(producer.history()).hasSize(51).allSatisfy(r -> {
            assertThat(TermHeaders.termOf(r.headers())).isEqualTo(3);
            assertThat(TermHeaders.isTermRecord(r.headers())).isFalse();
        });
    }

    @Test
    void aCommitThatTimesOutFailsItsAppendsAsOutcomeUnknownAndTheLogRefusesLaterAppends() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        producer.commitTransactionException = new TimeoutException("no answer from the coordinator");
        TransactionalWriter w = writer(producer, unused());

        ErrorCode code = failureCode(w.append(text("a")));
        assertThat(code.isOutcomeUnknown()).as("%s must say the outcome is unknown", code).isTrue();
        assertThat(failureCode(w.append(text("b"))).isOutcomeUnknown()).isTrue();
        assertThat(w.terminal()).isNotNull();
        assertThat(producer.transactionAborted()).as("aborted, so that it holds no reader back").isTrue();
    }

    @Test
    void aFenceWhileSendingFailsWithChannelFencedForeverAndWritesNothing() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        TransactionalWriter w = writer(producer, unused());
        assertThat(w.append(text("before")).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(MessageId.of(0, 0));
        producer.fenceProducer();

        assertThat(failureCode(w.append(text("fenced")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        assertThat(failureCode(w.append(text("later")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void aFenceThatStrikesACommittedTransactionAcknowledgesIt() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        producer.commitTransactionException = new ProducerFencedException("fenced after the commit was decided");
        List<Long> asked = new CopyOnWriteArrayList<>();
        TransactionalWriter w = writer(producer, offset -> asked.add(offset));

        MessageId id = w.append(text("decided")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(id).isEqualTo(MessageId.of(0, 0));
        assertThat(asked).containsExactly(0L);
        assertThat(failureCode(w.append(text("later")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
    }

    @Test
    void aFenceThatStrikesAnAbortedTransactionFailsItWithChannelFenced() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        producer.commitTransactionException = new ProducerFencedException("fenced before the commit");
        TransactionalWriter w = writer(producer, offset -> false);

        assertThat(failureCode(w.append(text("aborted")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
    }

    @Test
    void aFenceThatStrikesACommitWhoseFateCannotBeReadIsOutcomeUnknown() throws Exception {
        MockProducer<byte[], byte[]> producer = producer();
        producer.commitTransactionException = new ProducerFencedException("fenced while committing");
        TransactionalWriter w = writer(producer, offset -> {
            throw new StreamingException(ErrorCode.TIMEOUT, "the log could not be read");
        });

        ErrorCode code = failureCode(w.append(text("unknown")));
        assertThat(code.isOutcomeUnknown()).as("%s must say the outcome is unknown", code).isTrue();
    }

    @Test
    void aFullBufferRefusesAnAppendWithResourceExhaustedAndSendsNothingOfIt() throws Exception {
        GatedProducer producer = new GatedProducer();
        producer.initTransactions();
        TransactionalWriter w = writer(producer, unused(),
                KafkaWalConfig.BUFFER_MAX_BYTES, "64KiB", KafkaWalConfig.APPEND_TIMEOUT, "50ms");
        CompletableFuture<MessageId> inFlight = w.append(ByteBuffer.allocate(40 << 10));
        assertThat(producer.committing.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        CompletableFuture<MessageId> queued = w.append(ByteBuffer.allocate(20 << 10));

        assertThat(failureCode(w.append(ByteBuffer.allocate(10 << 10)))).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        producer.gate.countDown();
        inFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        queued.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(producer.history()).extracting(r -> r.value().length).containsExactly(40 << 10, 20 << 10);
        Await.until("room again", WAIT, () -> !w.append(ByteBuffer.allocate(10 << 10)).isCompletedExceptionally());
    }

    @Test
    void closeCommitsEverythingAcceptedBeforeItReturns() throws Exception {
        GatedProducer producer = new GatedProducer();
        producer.initTransactions();
        TransactionalWriter w = writer(producer, unused());
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        fs.add(w.append(text("first")));
        assertThat(producer.committing.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 10; i++) {
            fs.add(w.append(text("queued-" + i)));
        }
        CompletableFuture<Void> closed = CompletableFuture.runAsync(w::close);
        Await.until("the writer refuses appends once closing", WAIT,
                () -> w.append(text("late")).isCompletedExceptionally());
        assertThat(failureCode(w.append(text("late")))).isEqualTo(ErrorCode.ON_SHUTDOWN);
        producer.gate.countDown();
        closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        for (CompletableFuture<MessageId> f : fs) {
            assertThat(f).isCompleted();
            f.get();
        }
        assertThat(producer.closed()).isTrue();
    }
}
