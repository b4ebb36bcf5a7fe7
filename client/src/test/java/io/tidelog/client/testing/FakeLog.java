package io.tidelog.client.testing;

import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TimeTickHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The WAL of one pchannel as the fakes model it: shared by every fake node (like a shared backend), so a
 * pchannel can move between nodes and a consumer can resume on another one.
 *
 * <p>Message {@code i} has id {@code 0:i} and time tick {@code base + i} (strictly increasing in log order);
 * its last-confirmed id lies {@link #CONFIRM_LAG} messages back (never before its term's first TimeTick),
 * so resuming from it re-reads a few messages that the time-tick filter must drop. A term's first message is
 * a TimeTick without a last-confirmed id: it confirms itself. Thread-safe.
 */
public final class FakeLog {
    public static final int CONFIRM_LAG = 3;

    private final String pchannel;
    private final long baseTimeTick;
    private final List<ImmutableMessageProto> messages = new ArrayList<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private int termStart;

    FakeLog(String pchannel, long baseTimeTick) {
        this.pchannel = pchannel;
        this.baseTimeTick = baseTimeTick;
    }

    public String pchannel() {
        return pchannel;
    }

    /** Appends a data message at {@code term}; returns it as appended. */
    public ImmutableMessageProto append(MessageEnvelope envelope, long term) {
        ImmutableMessageProto m;
        synchronized (this) {
            int i = messages.size();
            MessageEnvelope stamped = envelope.toBuilder()
                    .setTimeTick(baseTimeTick + i)
                    .setTerm(term)
                    .setLastConfirmedId(id(Math.max(termStart, i - CONFIRM_LAG)))
                    .build();
            m = ImmutableMessageProto.newBuilder().setId(id(i)).setMessage(stamped).build();
            messages.add(m);
        }
        listeners.forEach(Runnable::run);
        return m;
    }

    /** Appends a TimeTick at {@code term}; the first of a term carries no last-confirmed id. */
    public ImmutableMessageProto tick(long term, boolean firstOfTerm) {
        ImmutableMessageProto m;
        synchronized (this) {
            int i = messages.size();
            MessageEnvelope.Builder e = MessageEnvelope.newBuilder()
                    .setType(MessageType.TIME_TICK)
                    .setVchannel(pchannel)
                    .setHeader(MessageHeader.newBuilder().setTimeTick(TimeTickHeader.getDefaultInstance()))
                    .setTimeTick(baseTimeTick + i)
                    .setTerm(term);
            if (firstOfTerm) {
                termStart = i;
            } else {
                e.setLastConfirmedId(id(Math.max(termStart, i - CONFIRM_LAG)));
            }
            m = ImmutableMessageProto.newBuilder().setId(id(i)).setMessage(e).build();
            messages.add(m);
        }
        listeners.forEach(Runnable::run);
        return m;
    }

    public synchronized int size() {
        return messages.size();
    }

    public synchronized ImmutableMessageProto get(int index) {
        return messages.get(index);
    }

    public synchronized List<ImmutableMessageProto> messages() {
        return List.copyOf(messages);
    }

    /** The index of the first message whose id is at least ({@code inclusive}) or above {@code id}. */
    synchronized int indexOf(MessageIdProto id, boolean inclusive) {
        int i = 0;
        while (i < messages.size() && compare(messages.get(i).getId(), id) < (inclusive ? 0 : 1)) {
            i++;
        }
        return i;
    }

    void addListener(Runnable r) {
        listeners.add(r);
    }

    void removeListener(Runnable r) {
        listeners.remove(r);
    }

    static MessageIdProto id(int index) {
        return MessageIdProto.newBuilder().setMajor(0).setMinor(index).build();
    }

    private static int compare(MessageIdProto a, MessageIdProto b) {
        int c = Long.compare(a.getMajor(), b.getMajor());
        return c != 0 ? c : Long.compare(a.getMinor(), b.getMinor());
    }
}
