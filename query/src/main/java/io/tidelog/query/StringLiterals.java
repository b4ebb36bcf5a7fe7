package io.tidelog.query;

import io.tidelog.common.StreamingException;

/**
 * The value of a string literal of the filter language. Quotes are {@code "} or {@code '}; a backslash
 * escapes the next character: {@code \" \' \\ \/ \b \f \n \r \t} and {@code \}{@code uXXXX} (four hex digits,
 * a UTF-16 unit, so a character outside the BMP is two escapes) mean what they mean in JSON and Java. Any other
 * escaped character keeps its backslash ({@code \%} stays {@code \%}), so that like patterns can write their
 * own escapes with a single backslash.
 */
final class StringLiterals {
    private StringLiterals() {
    }

    /** The value of {@code quoted} (a STRING token, quotes included), or INVALID_ARGUMENT at {@code at}. */
    static String decode(String quoted, Position at) {
        StringBuilder b = new StringBuilder(quoted.length());
        int end = quoted.length() - 1;
        for (int i = 1; i < end; i++) {
            char c = quoted.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = quoted.charAt(++i);
            switch (e) {
                case '"', '\'', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (!isHex(quoted, i + 1, i + 5)) {
                        throw StreamingException.invalidArgument(
                                "a \\u escape needs four hex digits in the string literal at " + at);
                    }
                    b.append((char) Integer.parseInt(quoted.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append('\\').append(e);
            }
        }
        return b.toString();
    }

    private static boolean isHex(String s, int from, int to) {
        if (to > s.length() - 1) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
