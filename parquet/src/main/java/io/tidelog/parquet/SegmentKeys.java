package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import java.util.Locale;

/**
 * The object store keys of historical data, a pure function of their inputs: the same segment or delete
 * range always gets the same keys, so a retried flush overwrites its own earlier attempt.
 * <pre>
 * collections/&lt;collectionId&gt;/segments/&lt;segmentId&gt;/data.parquet
 * collections/&lt;collectionId&gt;/segments/&lt;segmentId&gt;/manifest.json
 * collections/&lt;collectionId&gt;/deletes/&lt;vchannel&gt;/&lt;firstTimeTick&gt;-&lt;lastTimeTick&gt;.parquet
 * collections/&lt;collectionId&gt;/deletes/&lt;vchannel&gt;/&lt;firstTimeTick&gt;-&lt;lastTimeTick&gt;.json
 * </pre>
 * Ids are decimal. Time ticks are decimal zero-padded to {@value #TIME_TICK_DIGITS} digits (the width of
 * the largest unsigned 64-bit number), so that a listing, which object stores return in key order, returns
 * the delete logs of a vchannel in time order. A vchannel name holds no {@code /} ({@link Vchannels}).
 */
public final class SegmentKeys {
    /** The digits of a time tick in a key. */
    public static final int TIME_TICK_DIGITS = 20;

    private SegmentKeys() {
    }

    /** {@code collections/<collectionId>/}: every object of a collection. */
    public static String collectionPrefix(long collectionId) {
        return "collections/" + positive(collectionId, "collection id") + "/";
    }

    /** {@code collections/<collectionId>/segments/<segmentId>/}: the objects of one segment. */
    public static String segmentPrefix(long collectionId, long segmentId) {
        return collectionPrefix(collectionId) + "segments/" + positive(segmentId, "segment id") + "/";
    }

    /** The segment's Parquet file. */
    public static String segmentData(long collectionId, long segmentId) {
        return segmentPrefix(collectionId, segmentId) + "data.parquet";
    }

    /** The segment's manifest, written after its data. */
    public static String segmentManifest(long collectionId, long segmentId) {
        return segmentPrefix(collectionId, segmentId) + "manifest.json";
    }

    /** {@code collections/<collectionId>/deletes/<vchannel>/}: the delete logs of one vchannel. */
    public static String deletesPrefix(long collectionId, String vchannel) {
        Vchannels.validateVchannel(vchannel);
        return collectionPrefix(collectionId) + "deletes/" + vchannel + "/";
    }

    /** The delete log of the deletes of {@code vchannel} from {@code firstTimeTick} to {@code lastTimeTick}. */
    public static String deleteLog(long collectionId, String vchannel, long firstTimeTick, long lastTimeTick) {
        return deletesPrefix(collectionId, vchannel) + range(firstTimeTick, lastTimeTick) + ".parquet";
    }

    /** The manifest of that delete log, written after it. */
    public static String deleteManifest(long collectionId, String vchannel, long firstTimeTick, long lastTimeTick) {
        return deletesPrefix(collectionId, vchannel) + range(firstTimeTick, lastTimeTick) + ".json";
    }

    /**
     * Whether {@code key} is a manifest (of a segment or of a delete log): the object that makes its data file part
     * of the history, written after it. Every manifest ends with {@code .json}, every data file with
     * {@code .parquet}.
     */
    public static boolean isManifest(String key) {
        return key.startsWith("collections/") && key.endsWith(".json");
    }

    private static String range(long first, long last) {
        if (first < 0 || last < first) {
            throw StreamingException.invalidArgument("a delete log's time ticks need 0 <= first <= last, got "
                    + first + " and " + last);
        }
        return String.format(Locale.ROOT, "%0" + TIME_TICK_DIGITS + "d-%0" + TIME_TICK_DIGITS + "d", first, last);
    }

    private static long positive(long id, String what) {
        if (id < 1) {
            throw StreamingException.invalidArgument("a " + what + " in a key must be positive, got " + id);
        }
        return id;
    }
}
