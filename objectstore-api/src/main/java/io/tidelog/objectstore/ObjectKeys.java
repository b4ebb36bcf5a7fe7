package io.tidelog.objectstore;

import io.tidelog.common.StreamingException;
import java.nio.charset.StandardCharsets;

/**
 * The rules for keys and list prefixes, the same on every store so that a layout valid on one store is
 * valid on all of them (see {@link ObjectStore}).
 *
 * <pre>
 *   key     = segment *( "/" segment )
 *   segment = 1..255 UTF-8 bytes, no control character, not "." or "..", not starting ".tidelog-"
 *   key length &lt;= 1024 UTF-8 bytes (the S3 limit); 255 per segment (the file-name limit)
 * </pre>
 */
public final class ObjectKeys {
    /** The longest key, in UTF-8 bytes: S3's limit. */
    public static final int MAX_KEY_BYTES = 1024;
    /** The longest segment, in UTF-8 bytes: the file-name limit of common file systems. */
    public static final int MAX_SEGMENT_BYTES = 255;
    /** Segments starting with this are the stores' own files (temporary files of a local store). */
    public static final String RESERVED_SEGMENT_PREFIX = ".tidelog-";

    private ObjectKeys() {
    }

    /** {@code key} if it is valid, else {@code INVALID_ARGUMENT} saying which rule it breaks. */
    public static String requireValidKey(String key) {
        String problem = keyProblem(key);
        if (problem != null) {
            throw StreamingException.invalidArgument("invalid object key " + quote(key) + ": " + problem);
        }
        return key;
    }

    /** Whether {@code key} follows every rule. */
    public static boolean isValidKey(String key) {
        return keyProblem(key) == null;
    }

    /**
     * {@code prefix} if some valid key could start with it, else {@code INVALID_ARGUMENT}: the empty
     * prefix is valid; every complete segment (followed by {@code /}) must be a valid segment; the last,
     * partial segment may be anything without a control character ({@code "a/.."} is a valid prefix of
     * {@code a/..b}).
     */
    public static String requireValidPrefix(String prefix) {
        String problem = prefixProblem(prefix);
        if (problem != null) {
            throw StreamingException.invalidArgument("invalid object key prefix " + quote(prefix) + ": " + problem);
        }
        return prefix;
    }

    private static String keyProblem(String key) {
        if (key == null) {
            return "it is null";
        }
        if (key.isEmpty()) {
            return "it is empty";
        }
        String common = lengthAndCharacterProblem(key);
        if (common != null) {
            return common;
        }
        int start = 0;
        while (true) {
            int slash = key.indexOf('/', start);
            String problem = segmentProblem(key.substring(start, slash < 0 ? key.length() : slash));
            if (problem != null) {
                return problem;
            }
            if (slash < 0) {
                return null;
            }
            start = slash + 1;
        }
    }

    private static String prefixProblem(String prefix) {
        if (prefix == null) {
            return "it is null";
        }
        String common = lengthAndCharacterProblem(prefix);
        if (common != null) {
            return common;
        }
        int start = 0;
        int slash;
        while ((slash = prefix.indexOf('/', start)) >= 0) {
            String problem = segmentProblem(prefix.substring(start, slash));
            if (problem != null) {
                return problem;
            }
            start = slash + 1;
        }
        String partial = prefix.substring(start);
        if (partial.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
            return "a segment is longer than " + MAX_SEGMENT_BYTES + " UTF-8 bytes";
        }
        return null;
    }

    private static String lengthAndCharacterProblem(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return "it contains the control character U+" + String.format("%04X", (int) s.charAt(i));
            }
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
            return "it is not valid Unicode (an unpaired surrogate)";
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            return "it is longer than " + MAX_KEY_BYTES + " UTF-8 bytes";
        }
        if (s.startsWith("/")) {
            return "it starts with '/' (keys are relative to the store's root)";
        }
        return null;
    }

    private static String segmentProblem(String segment) {
        if (segment.isEmpty()) {
            return "it has an empty segment";
        }
        if (segment.equals(".") || segment.equals("..")) {
            return "it has a '" + segment + "' segment";
        }
        if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
            return "segments starting with '" + RESERVED_SEGMENT_PREFIX + "' are reserved";
        }
        if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
            return "a segment is longer than " + MAX_SEGMENT_BYTES + " UTF-8 bytes";
        }
        return null;
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("'");
        int shown = Math.min(s.length(), 120);
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(shown < s.length() ? "...'" : "'").toString();
    }
}
