package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The one-line machine-readable summary of {@code --json}, written with Gson's {@link JsonWriter}. Measured
 * numbers are doubles and keep six significant digits without trailing zeros (an integral value prints as an
 * integer, a very small or large one with an exponent, {@code 1e-07}); a non-finite one (no target, nothing
 * measured) is {@code null}.
 */
final class BenchJson extends JsonWriter {
    /** Writes one JSON value onto the writer it is given. */
    interface Body {
        void write(JsonWriter json) throws IOException;
    }

    private BenchJson(StringWriter out) {
        super(out);
    }

    /** The JSON text {@code body} writes. */
    static String write(Body body) {
        StringWriter out = new StringWriter();
        try (BenchJson json = new BenchJson(out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    @Override
    public JsonWriter value(double value) throws IOException {
        return Double.isFinite(value) ? jsonValue(sixDigits(value)) : nullValue();
    }

    /** A finite {@code value} as a JSON number of at most six significant digits. */
    static String sixDigits(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        String g = String.format(Locale.ROOT, "%.6g", value);
        int e = g.indexOf('e');
        String mantissa = e < 0 ? g : g.substring(0, e);
        if (mantissa.indexOf('.') >= 0) {
            mantissa = mantissa.replaceFirst("0+$", "").replaceFirst("\\.$", "");
        }
        return mantissa + (e < 0 ? "" : g.substring(e));
    }
}
