package io.tidelog.wal;

/** How a pchannel's log is opened. */
public enum AccessMode {
    /** The single writer of the pchannel at its term; fences every older term on open. */
    READ_WRITE,
    /** Reads only; refuses {@code append} and {@code truncate} with {@code READ_ONLY}. Fences nobody. */
    READ_ONLY
}
