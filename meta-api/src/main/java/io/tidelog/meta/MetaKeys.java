package io.tidelog.meta;

import io.tidelog.common.StreamingException;

/**
 * Validation and ordering of keys, shared by every store so that all of them accept, reject and order
 * keys alike.
 *
 * <p>A key is a non-empty string of well-formed UTF-16 (no unpaired surrogate, so that it round-trips
 * through UTF-8) of at most {@link MetaStore#MAX_KEY_BYTES} bytes in UTF-8. By convention keys are
 * hierarchical with {@code '/'} ({@code coord/pchannel/pchannel-3}), but the store gives {@code '/'}
 * no meaning: a prefix is a plain string prefix. Keys are ordered by their UTF-8 bytes, which is the
 * order of their Unicode code points (etcd's order; it differs from {@link String#compareTo} only for
 * characters beyond U+FFFF against U+E000..U+FFFF).
 */
public final class MetaKeys {
    private MetaKeys() {
    }

    /** Returns {@code key} if it is a valid key; otherwise throws {@code INVALID_ARGUMENT}. */
    public static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw StreamingException.invalidArgument("a key must be a non-empty string, got: "
                    + (key == null ? "null" : "\"\""));
        }
        return requireWellFormed("key", key);
    }

    /** Returns {@code prefix} if it is a valid prefix (the empty prefix is valid: every key). */
    public static String requirePrefix(String prefix) {
        if (prefix == null) {
            throw StreamingException.invalidArgument("a prefix must not be null (use \"\" for every key)");
        }
        return requireWellFormed("prefix", prefix);
    }

    /** Returns {@code value} if it is a valid value (not null, at most {@link MetaStore#MAX_REQUEST_BYTES}). */
    public static byte[] requireValue(String key, byte[] value) {
        if (value == null) {
            throw StreamingException.invalidArgument("the value of " + key + " must not be null (use an empty array)");
        }
        if (value.length > MetaStore.MAX_REQUEST_BYTES) {
            throw StreamingException.invalidArgument("the value of " + key + " has " + value.length
                    + " bytes; at most " + MetaStore.MAX_REQUEST_BYTES + " are accepted");
        }
        return value;
    }

    /** Returns {@code leaseId} if it is {@link MetaStore#NO_LEASE} or a possible lease id (positive). */
    public static long requireLease(long leaseId) {
        if (leaseId < 0) {
            throw StreamingException.invalidArgument("a lease id is positive (or 0 for none), got " + leaseId);
        }
        return leaseId;
    }

    /** The number of bytes of {@code s} in UTF-8 (for well-formed strings). */
    public static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Compares two keys by Unicode code point, which is the order of their UTF-8 bytes. Fast path: the
     * first differing UTF-16 unit decides, after moving surrogates above U+E000..U+FFFF.
     */
    public static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return Integer.compare(codePointOrder(x), codePointOrder(y));
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    private static int codePointOrder(char c) {
        if (c >= Character.MIN_SURROGATE) {
            return c > Character.MAX_SURROGATE ? c - 0x800 : c + 0x2000;
        }
        return c;
    }

    private static String requireWellFormed(String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw StreamingException.invalidArgument("the " + what + " has an unpaired surrogate at index " + i
                        + " and cannot be encoded in UTF-8");
            }
        }
        int bytes = utf8Length(s);
        if (bytes > MetaStore.MAX_KEY_BYTES) {
            throw StreamingException.invalidArgument("the " + what + " has " + bytes + " bytes in UTF-8; at most "
                    + MetaStore.MAX_KEY_BYTES + " are accepted");
        }
        return s;
    }
}
