package io.tidelog.node.scan;

import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageKind;
import io.tidelog.proto.MessageType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The read side of transactions, one per scanner: holds the pieces of every open transaction, keyed by
 * transaction id, and turns a committed one into one {@code TXN} message.
 *
 * <pre>
 *  BeginTxn            ─▶ open the transaction (held, nothing delivered)
 *  body of an open txn ─▶ held
 *  CommitTxn           ─▶ deliver ImmutableMessage.txn(begin, bodies, commit): at the commit's position and time tick
 *  RollbackTxn         ─▶ drop the transaction
 *  a piece of a transaction whose begin was not seen (the scanner started after it) ─▶ dropped
 *  any message of a newer term ─▶ drop every transaction begun in an older term (a transaction never
 *                                 outlives its term: the node of the new term rolled it back)
 *  anything else       ─▶ delivered as it is
 * </pre>
 *
 * Messages are offered in log order, which is time-tick order, so the {@code TXN} messages keep the order
 * too: each sits where its commit sits.
 *
 * <p><b>Bound.</b> It holds only transactions open at the scanner's position in the log, so its memory is
 * bounded by the append side ({@code TxnConfig}: {@code txn.max.open.bytes} of bodies and {@code txn.max.open}
 * begins per pchannel), for one term at most. {@link #heldBytes()} tells what it holds.
 *
 * <p><b>Threads.</b> Owned by its scanner's polling thread; not thread-safe.
 */
public final class TxnBuffer {
    private final Map<Long, Open> open = new HashMap<>();
    private long heldBytes;
    private long term;

    /** A transaction whose begin was seen and whose end was not. */
    private static final class Open {
        final ImmutableMessage begin;
        final List<ImmutableMessage> bodies = new ArrayList<>();
        long bytes;

        Open(ImmutableMessage begin) {
            this.begin = begin;
            this.bytes = begin.serializedSize();
        }
    }

    /** What to deliver for {@code m}: {@code m} itself, a whole {@code TXN}, or {@code null} (held or dropped). */
    ImmutableMessage offer(ImmutableMessage m) {
        if (m.term() > term) {
            term = m.term();
            dropOlderThan(term);
        }
        MessageType type = m.type();
        boolean part = MessageKind.isTxnControl(type) || (MessageKind.isTxnBody(type) && m.txn() != null);
        if (!part) {
            return m;
        }
        if (m.txn() == null) {
            return null; // a BeginTxn, CommitTxn or RollbackTxn the node would never write: nothing to deliver
        }
        long id = m.txn().getTxnId();
        if (type == MessageType.BEGIN_TXN) {
            Open o = new Open(m);
            Open replaced = open.put(id, o);
            heldBytes += o.bytes - (replaced == null ? 0 : replaced.bytes);
            return null;
        }
        if (MessageKind.isTxnBody(type)) {
            Open o = open.get(id);
            if (o != null) {
                o.bodies.add(m);
                o.bytes += m.serializedSize();
                heldBytes += m.serializedSize();
            }
            return null;
        }
        Open o = open.remove(id);
        if (o == null) {
            return null;
        }
        heldBytes -= o.bytes;
        return type == MessageType.COMMIT_TXN ? ImmutableMessage.txn(o.begin, o.bodies, m) : null;
    }

    private void dropOlderThan(long t) {
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (o.begin.term() < t) {
                heldBytes -= o.bytes;
                it.remove();
            }
        }
    }

    /** Transactions held open. */
    int openTransactions() {
        return open.size();
    }

    /** Encoded bytes of the messages held. */
    long heldBytes() {
        return heldBytes;
    }
}
