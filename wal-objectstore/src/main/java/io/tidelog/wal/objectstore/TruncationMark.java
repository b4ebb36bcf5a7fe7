package io.tidelog.wal.objectstore;

import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The object {@code wal/<pchannel>/start}: the lowest segment truncation keeps. It is written before the
 * segments below it are deleted, so that a truncation cut short by a crash still reads as one (every segment
 * below the mark counts as gone, and the next truncation deletes what is left of them).
 */
final class TruncationMark {
    private TruncationMark() {
    }

    static String key(String pchannel) {
        return WalLayout.pchannelPrefix(pchannel) + "start";
    }

    /** The mark, or 0 when the log was never truncated. */
    static long read(ObjectStore store, String pchannel) {
        Optional<byte[]> bytes = store.get(key(pchannel));
        if (bytes.isEmpty()) {
            return 0;
        }
        String text = new String(bytes.get(), StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw StreamingException.corrupted("pchannel " + pchannel + ": the truncation mark " + key(pchannel)
                    + " holds '" + text + "', not a segment number");
        }
    }

    static void write(ObjectStore store, String pchannel, long segment) {
        store.put(key(pchannel), Long.toString(segment).getBytes(StandardCharsets.US_ASCII));
    }
}
