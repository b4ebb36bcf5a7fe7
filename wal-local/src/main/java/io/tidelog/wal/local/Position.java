package io.tidelog.wal.local;

import io.tidelog.common.MessageId;

/** A byte position in a pchannel's log: segment index and offset in the segment file. */
record Position(long segment, long offset) implements Comparable<Position> {

    static Position of(MessageId id) {
        return new Position(id.major(), id.minor());
    }

    MessageId toId() {
        return MessageId.of(segment, offset);
    }

    @Override
    public int compareTo(Position o) {
        int c = Long.compare(segment, o.segment);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }

    @Override
    public String toString() {
        return segment + ":" + offset;
    }
}
