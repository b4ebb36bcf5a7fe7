package io.tidelog.wal;

import io.tidelog.common.Names;
import io.tidelog.common.StreamingException;
import java.util.Objects;

/**
 * What to open: a pchannel, the term of the caller's assignment, and the access mode.
 *
 * @param pchannel the pchannel name: letters, digits, {@code - .}, 1 to 128 characters (see {@link Names})
 * @param term     the assignment term, {@code >= 0}; only meaningful for {@link AccessMode#READ_WRITE}
 * @param mode     read-write (the one writer) or read-only
 */
public record OpenOptions(String pchannel, long term, AccessMode mode) {
    public OpenOptions {
        Objects.requireNonNull(mode, "mode");
        validatePchannel(pchannel);
        if (term < 0) {
            throw StreamingException.invalidArgument("term must be >= 0, got " + term);
        }
    }

    public static OpenOptions readWrite(String pchannel, long term) {
        return new OpenOptions(pchannel, term, AccessMode.READ_WRITE);
    }

    public static OpenOptions readOnly(String pchannel) {
        return new OpenOptions(pchannel, 0, AccessMode.READ_ONLY);
    }

    /**
     * Checks a pchannel name; backends use it as a directory, topic or key prefix, so it is strict.
     * The rule is {@link Names#validatePchannel}'s (no {@code _}: it separates a vchannel's pchannel
     * from its suffix).
     */
    public static void validatePchannel(String pchannel) {
        Names.validatePchannel(pchannel);
    }
}
