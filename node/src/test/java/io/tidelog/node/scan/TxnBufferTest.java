package io.tidelog.node.scan;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.txn.TxnTestbed;
import io.tidelog.proto.MessageType;
import org.junit.jupiter.api.Test;

class TxnBufferTest {
    static final String A = TxnTestbed.v("a");
    final TxnBuffer buffer = new TxnBuffer();
    long nextOffset = 1;

    ImmutableMessage at(MutableMessage m, long term) {
        long offset = nextOffset++;
        return m.withTimeTick(offset * 10).withTerm(term).withLastConfirmedId(MessageId.of(0, 0))
                .intoImmutable(MessageId.of(0, offset));
    }

    @Test
    void aCommittedTransactionComesOutWholeAtItsCommitAndNothingIsHeldAfterwards() {
        assertThat(buffer.offer(at(TxnTestbed.begin(A, 0).withTxn(7, 10), 1))).isNull();
        assertThat(buffer.offer(at(TxnTestbed.raw(A, "one", 7), 1))).isNull();
        ImmutableMessage plain = at(TxnTestbed.raw(A, "plain"), 1);
        assertThat(buffer.offer(plain)).isSameAs(plain);
        assertThat(buffer.heldBytes()).isPositive();
        ImmutableMessage txn = buffer.offer(at(TxnTestbed.commit(A, 7), 1));
        assertThat(txn.type()).isEqualTo(MessageType.TXN);
        assertThat(txn.txnMessages()).extracting(TxnTestbed::text).containsExactly("", "one", "");
        assertThat(buffer.openTransactions()).isZero();
        assertThat(buffer.heldBytes()).isZero();
    }

    @Test
    void piecesOfATransactionWhoseBeginWasNotSeenAreDropped() {
        assertThat(buffer.offer(at(TxnTestbed.raw(A, "one", 7), 1))).isNull();
        assertThat(buffer.offer(at(TxnTestbed.commit(A, 7), 1))).isNull();
        assertThat(buffer.offer(at(TxnTestbed.rollback(A, 8), 1))).isNull();
        assertThat(buffer.heldBytes()).isZero();
    }

    @Test
    void aTransactionOfAnEarlierTermIsDroppedAtTheFirstMessageOfANewerTerm() {
        buffer.offer(at(TxnTestbed.begin(A, 0).withTxn(7, 10), 1));
        buffer.offer(at(TxnTestbed.raw(A, "one", 7), 1));
        buffer.offer(at(TxnTestbed.begin(A, 0).withTxn(9, 10), 2));
        assertThat(buffer.openTransactions()).isEqualTo(1);
        assertThat(buffer.offer(at(TxnTestbed.commit(A, 7), 2))).as("the old term's transaction is gone").isNull();
        assertThat(buffer.offer(at(TxnTestbed.commit(A, 9), 2)).type()).isEqualTo(MessageType.TXN);
        assertThat(buffer.heldBytes()).isZero();
    }

    @Test
    void aRolledBackTransactionReleasesWhatItHeld() {
        buffer.offer(at(TxnTestbed.begin(A, 0).withTxn(7, 10), 1));
        buffer.offer(at(TxnTestbed.raw(A, "x".repeat(1000), 7), 1));
        assertThat(buffer.heldBytes()).isGreaterThan(1000);
        assertThat(buffer.offer(at(TxnTestbed.rollback(A, 7), 1))).isNull();
        assertThat(buffer.heldBytes()).isZero();
    }
}
