package io.tidelog.cli;

import java.util.Map;

/** A JSON object written field by field onto one line; enough for the commands' output. Not thread-safe. */
final class Json {
    private final StringBuilder out = new StringBuilder("{");
    private boolean first = true;

    Json string(String name, String value) {
        return raw(name, value == null ? "null" : quote(value));
    }

    Json number(String name, long value) {
        return raw(name, Long.toString(value));
    }

    /** An unsigned 64-bit number (time ticks are uint64 on the wire). */
    Json unsigned(String name, long value) {
        return raw(name, Long.toUnsignedString(value));
    }

    Json bool(String name, boolean value) {
        return raw(name, Boolean.toString(value));
    }

    Json strings(String name, Map<String, String> values) {
        StringBuilder b = new StringBuilder("{");
        values.forEach((k, v) -> {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(k)).append(':').append(quote(v));
        });
        return raw(name, b.append('}').toString());
    }

    /** A value that is already JSON. */
    Json raw(String name, String json) {
        if (!first) {
            out.append(',');
        }
        first = false;
        out.append(quote(name)).append(':').append(json);
        return this;
    }

    @Override
    public String toString() {
        return out + "}";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
