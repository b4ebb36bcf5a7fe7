package io.tidelog.wal.objectstore;

import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Where a pchannel's objects are: {@code wal/<pchannel>/<segment>/<block>} (zero-padded, so that the store's
 * key order is the log's order), {@code .../<segment>/footer} once the segment is sealed, and
 * {@code .../<segment>/fencing-<term>} written by an opening writer before it claims positions in the segment
 * (so that a later opener knows to look for {@link BlockFormat.Type#FENCE} blocks among the existing ones).
 */
final class WalLayout {
    private static final String FOOTER = "footer";
    private static final String FENCING = "fencing-";

    private WalLayout() {
    }

    static String pchannelPrefix(String pchannel) {
        return "wal/" + pchannel + "/";
    }

    static String segmentPrefix(String pchannel, long segment) {
        return pchannelPrefix(pchannel) + String.format("%019d", segment) + "/";
    }

    static String block(String pchannel, long segment, int block) {
        return segmentPrefix(pchannel, segment) + String.format("%010d", block);
    }

    static String footer(String pchannel, long segment) {
        return segmentPrefix(pchannel, segment) + FOOTER;
    }

    static String fencing(String pchannel, long segment, long term) {
        return segmentPrefix(pchannel, segment) + FENCING + String.format("%019d", term);
    }

    /** What a listing of one segment shows. */
    static final class SegmentListing {
        final long segment;
        /** Block number to object size. */
        final NavigableMap<Integer, Long> blocks = new TreeMap<>();
        boolean footer;
        boolean fencing;

        SegmentListing(long segment) {
            this.segment = segment;
        }

        /** The lowest position with no block. */
        int firstAbsent() {
            int expected = 0;
            for (int b : blocks.keySet()) {
                if (b != expected) {
                    return expected;
                }
                expected++;
            }
            return expected;
        }

        long bytes() {
            long sum = 0;
            for (long s : blocks.values()) {
                sum += s;
            }
            return sum;
        }
    }

    /** Whether the store holds any object of segment {@code segment}. */
    static boolean exists(ObjectStore store, String pchannel, long segment) {
        return !store.list(segmentPrefix(pchannel, segment)).isEmpty();
    }

    /**
     * The last segment of the pchannel, found without listing the whole log: segments are numbered without gaps
     * from the truncation mark on (a writer starts segment {@code s + 1} only after sealing {@code s}, an opener
     * fences the segments it skips), so a galloping search over "does segment n exist" finds the last one in
     * about 2 log2(segments) listings of one segment each.
     *
     * @return the last segment, or -1 if {@code first} does not exist (the log is empty)
     */
    static long lastSegment(ObjectStore store, String pchannel, long first) {
        if (!exists(store, pchannel, first)) {
            return -1;
        }
        long low = first;
        long step = 1;
        long high;
        while (true) {
            long probe = low + step;
            if (exists(store, pchannel, probe)) {
                low = probe;
                step *= 2;
            } else {
                high = probe;
                break;
            }
        }
        while (high - low > 1) {
            long mid = (low + high) >>> 1;
            if (exists(store, pchannel, mid)) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return low;
    }

    /** Every segment of the pchannel the store holds, by number; objects of other shapes are ignored. */
    static NavigableMap<Long, SegmentListing> list(ObjectStore store, String pchannel) {
        return parse(store.list(pchannelPrefix(pchannel)), pchannelPrefix(pchannel));
    }

    /** One segment's objects. */
    static SegmentListing listSegment(ObjectStore store, String pchannel, long segment) {
        SegmentListing s = parse(store.list(segmentPrefix(pchannel, segment)), pchannelPrefix(pchannel)).get(segment);
        return s != null ? s : new SegmentListing(segment);
    }

    private static NavigableMap<Long, SegmentListing> parse(List<ObjectInfo> objects, String prefix) {
        NavigableMap<Long, SegmentListing> segments = new TreeMap<>();
        for (ObjectInfo o : objects) {
            String rest = o.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash != 19 || rest.indexOf('/', slash + 1) >= 0) {
                continue;
            }
            long segment;
            try {
                segment = Long.parseLong(rest.substring(0, slash));
            } catch (NumberFormatException e) {
                continue;
            }
            String name = rest.substring(slash + 1);
            SegmentListing s = segments.computeIfAbsent(segment, SegmentListing::new);
            if (name.equals(FOOTER)) {
                s.footer = true;
            } else if (name.startsWith(FENCING)) {
                s.fencing = true;
            } else if (name.length() == 10 && name.chars().allMatch(Character::isDigit)) {
                s.blocks.put(Integer.parseInt(name), o.size());
            }
        }
        return segments;
    }
}
