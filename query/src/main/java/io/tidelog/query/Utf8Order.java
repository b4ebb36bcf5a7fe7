package io.tidelog.query;

/**
 * The order of strings by Unicode code point, which is also the order of their UTF-8 bytes (and so the order
 * DuckDB, Parquet statistics and Milvus use). It differs from {@link String#compareTo}, which compares UTF-16
 * units: there a character above U+FFFF (a surrogate pair, units D800-DFFF) sorts before U+E000-U+FFFF.
 */
public final class Utf8Order {
    private Utf8Order() {
    }

    /**
     * Negative, zero or positive as {@code a} sorts before, with or after {@code b}. Strings are assumed
     * well-formed (no lone surrogates, as every string decoded from UTF-8 is).
     */
    public static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return rank(x) - rank(y);
            }
        }
        return a.length() - b.length();
    }

    /**
     * Moves surrogates above every other UTF-16 unit, keeping the order of the rest: at the first difference of
     * two well-formed strings, a surrogate stands for a code point above U+FFFF, and so must sort last.
     */
    private static int rank(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
