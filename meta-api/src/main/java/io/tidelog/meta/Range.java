package io.tidelog.meta;

import java.util.List;

/**
 * The answer of {@link MetaStore#range}: the keys of a prefix, in key order, as of one revision.
 *
 * @param keyValues the keys found, in key order (see {@link MetaKeys#compare})
 * @param revision  the store revision the read saw: every write up to it and none after it. Watching
 *                  the same prefix from {@code revision + 1} continues the read with no gap and no overlap.
 * @param more      whether more keys of the prefix exist beyond the limit
 */
public record Range(List<KeyValue> keyValues, long revision, boolean more) {
    public Range {
        keyValues = List.copyOf(keyValues);
    }
}
