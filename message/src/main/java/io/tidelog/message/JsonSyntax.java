package io.tidelog.message;

import com.google.protobuf.ByteString;

/**
 * A validating scanner of JSON text (RFC 8259): answers whether a document parses, and if not where and
 * why, without building anything. One instance is reused for many documents (a column's rows): it keeps
 * one buffer that grows to the largest document seen, so checking a row allocates nothing. Not
 * thread-safe.
 *
 * <p>Accepts any JSON value at the top level, surrounded by optional whitespace. Nesting is bounded by
 * {@value #MAX_DEPTH} (recursion stays shallow whatever the input). UTF-8 validity is checked separately
 * ({@link ByteString#isValidUtf8()}).
 */
final class JsonSyntax {
    static final int MAX_DEPTH = 128;

    private byte[] buf = new byte[256];
    private int pos;
    private int end;
    private String problem;

    /** What is wrong with {@code doc} ("... at byte N"), or {@code null} if it is valid JSON. */
    String problem(ByteString doc) {
        if (!doc.isValidUtf8()) {
            return "not valid UTF-8";
        }
        int n = doc.size();
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
        }
        doc.copyTo(buf, 0);
        pos = 0;
        end = n;
        problem = null;
        skipWhitespace();
        if (value(0)) {
            skipWhitespace();
            if (pos != end) {
                fail("unexpected content after the value");
            }
        }
        return problem == null ? null : problem + " at byte " + pos;
    }

    private boolean value(int depth) {
        if (pos == end) {
            return fail("unexpected end");
        }
        byte c = buf[pos];
        switch (c) {
            case '{':
                return depth < MAX_DEPTH ? object(depth + 1) : fail("nested deeper than " + MAX_DEPTH);
            case '[':
                return depth < MAX_DEPTH ? array(depth + 1) : fail("nested deeper than " + MAX_DEPTH);
            case '"':
                return string();
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return c == '-' || (c >= '0' && c <= '9') ? number() : fail("unexpected character '" + (char) c + "'");
        }
    }

    private boolean object(int depth) {
        pos++;
        skipWhitespace();
        if (pos < end && buf[pos] == '}') {
            pos++;
            return true;
        }
        while (true) {
            if (pos == end || buf[pos] != '"') {
                return fail("expected a member name");
            }
            if (!string()) {
                return false;
            }
            skipWhitespace();
            if (pos == end || buf[pos] != ':') {
                return fail("expected ':'");
            }
            pos++;
            skipWhitespace();
            if (!value(depth)) {
                return false;
            }
            skipWhitespace();
            if (pos == end) {
                return fail("unterminated object");
            }
            if (buf[pos] == '}') {
                pos++;
                return true;
            }
            if (buf[pos] != ',') {
                return fail("expected ',' or '}'");
            }
            pos++;
            skipWhitespace();
        }
    }

    private boolean array(int depth) {
        pos++;
        skipWhitespace();
        if (pos < end && buf[pos] == ']') {
            pos++;
            return true;
        }
        while (true) {
            if (!value(depth)) {
                return false;
            }
            skipWhitespace();
            if (pos == end) {
                return fail("unterminated array");
            }
            if (buf[pos] == ']') {
                pos++;
                return true;
            }
            if (buf[pos] != ',') {
                return fail("expected ',' or ']'");
            }
            pos++;
            skipWhitespace();
        }
    }

    private boolean string() {
        pos++;
        while (pos < end) {
            byte c = buf[pos];
            if (c == '"') {
                pos++;
                return true;
            }
            if (c >= 0 && c < 0x20) {
                return fail("control character in a string");
            }
            if (c == '\\') {
                if (!escape()) {
                    return false;
                }
            } else {
                pos++;
            }
        }
        return fail("unterminated string");
    }

    private boolean escape() {
        pos++;
        if (pos == end) {
            return fail("unterminated escape");
        }
        switch (buf[pos]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                pos++;
                return true;
            case 'u':
                pos++;
                for (int i = 0; i < 4; i++, pos++) {
                    if (pos == end || Character.digit(buf[pos], 16) < 0) {
                        return fail("bad \\u escape");
                    }
                }
                return true;
            default:
                return fail("bad escape");
        }
    }

    private boolean number() {
        if (buf[pos] == '-') {
            pos++;
        }
        if (pos == end) {
            return fail("bad number");
        }
        if (buf[pos] == '0') {
            pos++;
        } else if (!digits()) {
            return fail("bad number");
        }
        if (pos < end && buf[pos] == '.') {
            pos++;
            if (!digits()) {
                return fail("bad fraction");
            }
        }
        if (pos < end && (buf[pos] == 'e' || buf[pos] == 'E')) {
            pos++;
            if (pos < end && (buf[pos] == '+' || buf[pos] == '-')) {
                pos++;
            }
            if (!digits()) {
                return fail("bad exponent");
            }
        }
        return true;
    }

    /** One or more digits. */
    private boolean digits() {
        int start = pos;
        while (pos < end && buf[pos] >= '0' && buf[pos] <= '9') {
            pos++;
        }
        return pos > start;
    }

    private boolean literal(String word) {
        int n = word.length();
        if (end - pos < n) {
            return fail("unexpected end");
        }
        for (int i = 0; i < n; i++) {
            if (buf[pos + i] != word.charAt(i)) {
                pos += i;
                return fail("unexpected character '" + (char) buf[pos] + "'");
            }
        }
        pos += n;
        return true;
    }

    private void skipWhitespace() {
        while (pos < end) {
            byte c = buf[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private boolean fail(String what) {
        problem = what;
        return false;
    }
}
