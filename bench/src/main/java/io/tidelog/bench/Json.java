package io.tidelog.bench;

import java.util.Locale;

/**
 * A minimal streaming JSON writer for the one-line machine-readable summary ({@code --json}); enough
 * for objects, arrays, strings and numbers, with commas placed automatically. Non-finite numbers are
 * written as {@code null}.
 */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    private boolean needComma;

    Json beginObject() {
        separate();
        sb.append('{');
        needComma = false;
        return this;
    }

    Json endObject() {
        sb.append('}');
        needComma = true;
        return this;
    }

    Json beginArray() {
        separate();
        sb.append('[');
        needComma = false;
        return this;
    }

    Json endArray() {
        sb.append(']');
        needComma = true;
        return this;
    }

    /** Writes {@code "name":} so that the next value or container becomes the field's value. */
    Json name(String name) {
        separate();
        string(name);
        sb.append(':');
        needComma = false;
        return this;
    }

    Json field(String name, String value) {
        name(name);
        if (value == null) {
            sb.append("null");
        } else {
            string(value);
        }
        needComma = true;
        return this;
    }

    Json field(String name, long value) {
        name(name);
        sb.append(value);
        needComma = true;
        return this;
    }

    Json field(String name, double value) {
        name(name);
        number(value);
        needComma = true;
        return this;
    }

    Json field(String name, boolean value) {
        name(name);
        sb.append(value);
        needComma = true;
        return this;
    }

    Json value(double value) {
        separate();
        number(value);
        needComma = true;
        return this;
    }

    private void number(double value) {
        if (!Double.isFinite(value)) {
            sb.append("null");
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            sb.append((long) value);
        } else {
            String g = String.format(Locale.ROOT, "%.6g", value);
            int e = g.indexOf('e');
            String mantissa = e < 0 ? g : g.substring(0, e);
            if (mantissa.indexOf('.') >= 0) {
                mantissa = mantissa.replaceFirst("0+$", "").replaceFirst("\\.$", "");
            }
            sb.append(mantissa).append(e < 0 ? "" : g.substring(e));
        }
    }

    private void separate() {
        if (needComma) {
            sb.append(',');
        }
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
