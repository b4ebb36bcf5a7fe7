package io.tidelog.tso;

/**
 * Where a {@link TimestampOracle} keeps its high-water mark: a physical time, in epoch milliseconds, that
 * no issued timestamp has reached. Implementations: {@link FileTimestampStore}; the meta store's in a
 * cluster.
 *
 * <p>The oracle calls one method at a time, {@link #load()} once when it starts, then {@link #save} with
 * strictly increasing values.
 */
public interface TimestampStore {

    /**
     * The value last saved, or {@code 0} if none ever was.
     *
     * @throws io.tidelog.common.StreamingException {@code DATA_CORRUPTED} if a saved value exists but cannot
     *         be read back intact (never {@code 0} in that case); {@code INNER} on an I/O failure
     */
    long load();

    /**
     * Saves a new mark. Durable on return: from then on, {@link #load()} in any later process, after any
     * crash of the process or the machine, returns this value or a later saved one. On failure the
     * previously saved value stays in force.
     *
     * @param highWaterMillis the new mark, {@code >= 0}
     * @throws io.tidelog.common.StreamingException {@code INNER} on an I/O failure
     */
    void save(long highWaterMillis);
}
