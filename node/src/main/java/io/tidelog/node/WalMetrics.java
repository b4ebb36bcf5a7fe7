package io.tidelog.node;

/**
 * What a pchannel's {@link StreamingWal} and its extensions tell about events as they happen, for a metrics backend
 * the node does not know. One instance per pchannel, made once and kept across terms (so totals only grow) by the
 * process that owns the meters; extensions reach it through {@link StreamingWal#metrics()} once bound.
 *
 * <p><b>Threads.</b> {@link #appended} and {@link #stored} are called on the backend's acknowledging thread, in log
 * order, under the WAL's in-flight monitor; the others from whichever thread sees the event, possibly under an
 * extension's monitor. Implementations must be cheap, take no lock and allocate nothing per call (counters and timers
 * made once).
 */
public interface WalMetrics {
    /** Reports nothing. */
    WalMetrics NONE = new WalMetrics() {
        @Override
        public void appended(int messages, long bytes, long nanos) {
        }

        @Override
        public void stored(long nanos) {
        }
    };

    /**
     * Messages other than TimeTicks were acknowledged: {@code messages} of them (a run counts each), {@code bytes}
     * encoded, {@code nanos} from when the WAL took them to their acknowledgement (each message of a run waited as
     * long).
     */
    void appended(int messages, long bytes, long nanos);

    /** The backend made one append or run durable (TimeTicks included) {@code nanos} after the WAL handed it over. */
    void stored(long nanos);

    /**
     * A scanner read one message (before its filters), from the write-ahead buffer ({@code fromBuffer}) or from the
     * backend (catching up). On the scanner's thread.
     */
    default void read(boolean fromBuffer) {
    }

    /** An append with an idempotency key already appended (or in flight) got the original's result: nothing written. */
    default void deduplicated() {
    }

    /** A transaction's keepalive ran out: it is rolled back. */
    default void transactionExpired() {
    }

    /**
     * An upload of a sealed segment or of deletes to object storage failed and is retried (the flusher is told a
     * callback to this by the process that assembles the node, not the WAL: it sees only the extension SPI).
     */
    default void uploadRetried() {
    }

    /** The metrics of each pchannel. */
    @FunctionalInterface
    interface Factory {
        Factory NONE = pchannel -> WalMetrics.NONE;

        /** The one instance for {@code pchannel}; the same on every call. */
        WalMetrics forPchannel(String pchannel);
    }
}
