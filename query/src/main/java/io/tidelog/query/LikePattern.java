package io.tidelog.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A compiled {@code like} pattern: {@code %} matches any sequence of characters (also none), {@code _} exactly one
 * character (a Unicode code point, so one character outside the BMP too), a backslash makes the next character
 * literal ({@code \%}, {@code \_}, {@code \\}); every other character matches itself. The whole value must match
 * (like SQL's LIKE with {@code ESCAPE '\'}). A pattern ending in a lone backslash is refused when binding.
 *
 * <p>Matching never backtracks across {@code %}: the pattern is split at {@code %} into pieces; the first piece
 * must match at the start, the last at the end, and each piece in between at its leftmost place after the
 * previous one (leftmost is always a right choice, since what follows may begin anywhere later). So a match
 * costs at most (value length x pattern length), and pieces without {@code _} use {@link String#indexOf}.
 * Immutable; thread-safe.
 */
final class LikePattern {
    /** The code point a piece uses for {@code _} (no well-formed string holds a lone low surrogate). */
    private static final int ANY_ONE = -1;

    /** Pieces between {@code %}: code points, {@link #ANY_ONE} for {@code _}. */
    private final int[][] pieces;
    /** The same pieces as strings, for those without {@code _} (else {@code null}). */
    private final String[] literals;
    private final boolean anchoredStart;
    private final boolean anchoredEnd;

    private LikePattern(List<int[]> pieces, boolean anchoredStart, boolean anchoredEnd) {
        this.pieces = pieces.toArray(new int[0][]);
        this.literals = new String[this.pieces.length];
        for (int i = 0; i < this.pieces.length; i++) {
            int[] p = this.pieces[i];
            if (Arrays.stream(p).noneMatch(c -> c == ANY_ONE)) {
                literals[i] = new String(p, 0, p.length);
            }
        }
        this.anchoredStart = anchoredStart;
        this.anchoredEnd = anchoredEnd;
    }

    /** The pattern of {@code text}, or {@code null} if it ends in a lone backslash. */
    static LikePattern compile(String text) {
        List<int[]> pieces = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        boolean anchoredStart = true;
        boolean anchoredEnd = true;
        int i = 0;
        while (i < text.length()) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\\') {
                if (i == text.length()) {
                    return null;
                }
                int e = text.codePointAt(i);
                i += Character.charCount(e);
                current.add(e);
                anchoredEnd = true;
            } else if (c == '%') {
                if (pieces.isEmpty() && current.isEmpty() && anchoredStart) {
                    anchoredStart = false;
                } else if (!current.isEmpty()) {
                    pieces.add(toArray(current));
                    current.clear();
                }
                anchoredEnd = false;
            } else {
                current.add(c == '_' ? ANY_ONE : c);
                anchoredEnd = true;
            }
        }
        if (!current.isEmpty()) {
            pieces.add(toArray(current));
        }
        if (pieces.isEmpty()) {
            anchoredEnd = anchoredStart;
        }
        return new LikePattern(pieces, anchoredStart, anchoredEnd);
    }

    private static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    boolean matches(String s) {
        int n = pieces.length;
        if (n == 0) {
            return !anchoredStart || s.isEmpty();
        }
        int pos = 0;
        int first = 0;
        int last = n;
        if (anchoredStart) {
            pos = matchAt(0, s, 0);
            if (pos < 0) {
                return false;
            }
            if (n == 1 && anchoredEnd) {
                return pos == s.length();
            }
            first = 1;
        }
        int endLimit = s.length();
        if (anchoredEnd) {
            int start = startOfLast(s, pieces[n - 1].length);
            if (start < pos || matchAt(n - 1, s, start) != s.length()) {
                return false;
            }
            endLimit = start;
            last = n - 1;
        }
        for (int k = first; k < last; k++) {
            pos = find(k, s, pos, endLimit);
            if (pos < 0) {
                return false;
            }
        }
        return true;
    }

    /** The char index at which a piece of {@code codePoints} code points ending at the end of {@code s} starts. */
    private static int startOfLast(String s, int codePoints) {
        int i = s.length();
        for (int k = 0; k < codePoints; k++) {
            if (i == 0) {
                return -1;
            }
            i -= Character.isLowSurrogate(s.charAt(i - 1)) && i >= 2 ? 2 : 1;
        }
        return i;
    }

    /** Where piece {@code k} matched at {@code at} ends, or -1. */
    private int matchAt(int k, String s, int at) {
        if (literals[k] != null) {
            return s.startsWith(literals[k], at) ? at + literals[k].length() : -1;
        }
        int i = at;
        for (int c : pieces[k]) {
            if (i >= s.length()) {
                return -1;
            }
            int actual = s.codePointAt(i);
            if (c != ANY_ONE && c != actual) {
                return -1;
            }
            i += Character.charCount(actual);
        }
        return i;
    }

    /** The end of the leftmost match of piece {@code k} starting at or after {@code from} and ending by {@code limit}. */
    private int find(int k, String s, int from, int limit) {
        if (literals[k] != null) {
            int at = s.indexOf(literals[k], from);
            return at >= 0 && at + literals[k].length() <= limit ? at + literals[k].length() : -1;
        }
        for (int at = from; at < limit; at += Character.charCount(s.codePointAt(at))) {
            int end = matchAt(k, s, at);
            if (end >= 0 && end <= limit) {
                return end;
            }
        }
        return -1;
    }
}
