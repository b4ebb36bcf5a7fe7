package io.tidelog.wal;

import io.tidelog.common.MessageId;
import java.util.Objects;

/** Where a scanner starts. */
public sealed interface DeliverPolicy {

    /** From the oldest retained record. */
    static DeliverPolicy all() {
        return All.INSTANCE;
    }

    /** Only records that become durable after the scanner was opened. */
    static DeliverPolicy latest() {
        return Latest.INSTANCE;
    }

    /** From the record with this id, inclusive. */
    static DeliverPolicy startFrom(MessageId id) {
        return new StartFrom(id);
    }

    /** From the record after the one with this id. */
    static DeliverPolicy startAfter(MessageId id) {
        return new StartAfter(id);
    }

    enum All implements DeliverPolicy {
        INSTANCE
    }

    enum Latest implements DeliverPolicy {
        INSTANCE
    }

    record StartFrom(MessageId id) implements DeliverPolicy {
        public StartFrom {
            Objects.requireNonNull(id, "id");
        }
    }

    record StartAfter(MessageId id) implements DeliverPolicy {
        public StartAfter {
            Objects.requireNonNull(id, "id");
        }
    }
}
