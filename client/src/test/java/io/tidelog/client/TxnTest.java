package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client side of transactions, against a fake node that checks nothing about them: what is sent, in what order. */
class TxnTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String V = "p-1_v";

    final FakeCluster cluster = FakeCluster.start("node-a");
    final FakeStreamingNode node = cluster.node("node-a");
    StreamingClient client;

    @AfterEach
    void close() {
        if (client != null) {
            client.close();
        }
        cluster.close();
    }

    StreamingClient client() {
        cluster.assign("p-1", 1, "node-a");
        client = cluster.clientBuilder().build();
        return client;
    }

    static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    static StreamingException failure(CompletableFuture<?> f) {
        try {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            assertThat(cause).isInstanceOf(StreamingException.class);
            return (StreamingException) cause;
        }
        throw new AssertionError("expected a failure");
    }

    /** "TYPE txn=ID payload" for every message the node received, in order. */
    List<String> received() {
        List<String> out = new ArrayList<>();
        for (ProduceMessage m : node.received()) {
            out.add(m.getMessage().getType() + " txn=" + m.getMessage().getTxn().getTxnId() + " "
                    + m.getMessage().getPayload().toStringUtf8());
        }
        return out;
    }

    static MutableMessage raw(String vchannel, String text) {
        return MutableMessage.builder(MessageType.RAW, vchannel).payload(text.getBytes(UTF_8)).build();
    }

    @Test
    void appendsMadeBeforeTheBeginIsAnsweredAreSentAfterItInOrderNamingTheTransaction() throws Exception {
        client();
        node.holdResults(true);
        Txn txn = client.txn(V, Duration.ofSeconds(3));
        Await.until("the begin is held", () -> node.heldCount() == 1);
        CompletableFuture<Appended> one = txn.appendRaw("one".getBytes(UTF_8));
        CompletableFuture<Appended> two = txn.append(raw(V, "two"));
        assertThat(node.received()).hasSize(1);
        assertThat(node.received().peek().getMessage().getHeader().getBeginTxn().getKeepaliveMillis()).isEqualTo(3000);
        node.holdResults(false);
        node.releaseHeld(List.of(0));
        long id = done(txn.id());
        assertThat(done(one).txnId()).isEqualTo(id);
        done(two);
        Appended committed = done(txn.commit());
        assertThat(committed.txnId()).isEqualTo(id);
        assertThat(received()).containsExactly("BEGIN_TXN txn=0 ", "RAW txn=" + id + " one", "RAW txn=" + id + " two",
                "COMMIT_TXN txn=" + id + " ");
    }

    @Test
    void aFailedAppendRollsTheTransactionBackInsteadOfCommittingIt() throws Exception {
        client();
        node.rejectWith(m -> m.getMessage().getPayload().toStringUtf8().equals("bad")
                ? FakeErrors.error(ErrorCode.INVALID_ARGUMENT, "refused by the test") : null);
        Txn txn = client.txn(V);
        txn.appendRaw("good".getBytes(UTF_8));
        CompletableFuture<Appended> bad = txn.appendRaw("bad".getBytes(UTF_8));
        StreamingException commit = failure(txn.commit());
        assertThat(failure(bad).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(commit.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(commit.getMessage()).contains("rolled back, not committed");
        long id = done(txn.id());
        Await.until("the rollback is sent", () -> received().contains("ROLLBACK_TXN txn=" + id + " "));
        assertThat(received()).noneMatch(r -> r.startsWith("COMMIT_TXN"));
    }

    @Test
    void theClientRefusesBodiesOfAnotherVchannelOrTypeAndStepsAfterTheEnd() throws Exception {
        client();
        Txn txn = client.txn(V);
        assertThat(failure(txn.append(raw("p-1_other", "x"))).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(txn.commit()).code()).as("the refused body fails the commit").isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(txn.appendRaw("late".getBytes(UTF_8))).code()).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(failure(txn.rollback()).code()).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);

        Txn other = client.txn(V);
        MutableMessage ddl = MutableMessage.builder(MessageType.DROP_COLLECTION, V).build();
        assertThat(failure(other.append(ddl)).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        done(other.rollback());
        assertThat(failure(other.commit()).code()).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
    }

    @Test
    void closingAnUnfinishedTransactionRollsItBack() throws Exception {
        client();
        long id;
        try (Txn txn = client.txn(V)) {
            txn.appendRawBlocking("x".getBytes(UTF_8));
            id = done(txn.id());
        }
        Await.until("the rollback is sent", () -> received().contains("ROLLBACK_TXN txn=" + id + " "));
    }

    @Test
    void appendAllIsOneTransactionTriedOnceMoreWhenItExpired() throws Exception {
        client();
        AtomicInteger commits = new AtomicInteger();
        node.rejectWith(m -> m.getMessage().getType() == MessageType.COMMIT_TXN && commits.incrementAndGet() == 1
                ? FakeErrors.error(ErrorCode.TRANSACTION_EXPIRED, "expired (test)") : null);
        Appended a = client.appendAllBlocking(V, List.of(raw(V, "a"), raw(V, "b")));
        List<String> got = received();
        assertThat(got).extracting(r -> r.substring(0, r.indexOf(' '))).containsExactly("BEGIN_TXN", "RAW", "RAW",
                "COMMIT_TXN", "BEGIN_TXN", "RAW", "RAW", "COMMIT_TXN");
        assertThat(got.get(7)).isEqualTo("COMMIT_TXN txn=" + a.txnId() + " ");
        assertThat(got.get(3)).isNotEqualTo(got.get(7));
    }

    @Test
    void appendAllFailsWhenTheSecondTryExpiresToo() {
        client();
        node.rejectWith(m -> m.getMessage().getType() == MessageType.COMMIT_TXN
                ? FakeErrors.error(ErrorCode.TRANSACTION_EXPIRED, "expired (test)") : null);
        StreamingException e = failure(client.appendAll(V, List.of(raw(V, "a"))));
        assertThat(e.code()).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
        assertThat(received()).filteredOn(r -> r.startsWith("BEGIN_TXN")).hasSize(2);
        assertThat(failure(client.appendAll(V, List.of())).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
}
