package io.tidelog.node;

/**
 * What a pchannel's {@link StreamingWal} tells about its appends as they happen, for a metrics backend the node does not
 * know. One instance per pchannel, made once and kept across terms (so totals only grow) by the process that owns
 * the meters.
 *
 * <p><b>Threads.</b> Called on the backend's acknowledging thread, in log order, under the WAL's in-flight monitor:
 * implementations must be cheap, take no lock and allocate nothing per call (counters and timers made once).
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

    /** The metrics of each pchannel. */
    @FunctionalInterface
    interface Factory {
        Factory NONE = pchannel -> WalMetrics.NONE;

        /** The one instance for {@code pchannel}; the same on every call. */
        WalMetrics forPchannel(String pchannel);
    }
}
