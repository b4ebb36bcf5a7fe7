package io.tidelog.cli;

import io.tidelog.common.StreamingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Cuts standard input into the payloads of {@code produce}, byte for byte, as {@code --input} says:
 * <pre>
 * lines   one payload per line: the bytes before each \n, exactly as read (\r, NUL, invalid UTF-8 included);
 *         a last line without a final \n is a payload too; empty input is no payload
 * binary  all of the input is one payload (also when empty)
 * base64  one payload per line, the line decoded from base64 (a \r before the \n is ignored; an empty line is
 *         an empty payload); a line that is not base64 fails, naming its number
 * </pre>
 * A payload longer than {@code maxBytes} (the largest message) fails as soon as that is seen, without reading
 * the rest of it. Blocking reads; not thread-safe.
 */
final class PayloadReader {
    /** How {@code produce --input} reads standard input. */
    enum Format {
        LINES, BINARY, BASE64;

        /** Reads {@code --input}: lines, binary or base64, in any case. */
        static final class Converter implements ITypeConverter<Format> {
            @Override
            public Format convert(String value) {
                for (Format f : values()) {
                    if (f.name().equalsIgnoreCase(value.strip())) {
                        return f;
                    }
                }
                throw new TypeConversionException("'" + value + "' is none of lines, binary, base64");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final int BUFFER = 64 * 1024;

    private final InputStream in;
    private final Format format;
    private final int maxBytes;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;
    private boolean eof;
    /** Number of the last line read (lines and base64). */
    private long line;
    private boolean binaryDone;

    PayloadReader(InputStream in, Format format, int maxBytes) {
        this.in = in;
        this.format = format;
        this.maxBytes = maxBytes;
    }

    /**
     * The next payload, or {@code null} at the end of the input.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a payload over the limit or a line that is not base64
     * @throws IOException        if standard input cannot be read
     */
    byte[] next() throws IOException {
        switch (format) {
            case BINARY:
                return binaryDone ? null : whole();
            case BASE64:
                return decodedLine();
            default:
                return line(maxBytes, "line " + (line + 1) + " of standard input has");
        }
    }

    private byte[] whole() throws IOException {
        binaryDone = true;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (fill()) {
            all.write(buf, pos, limit - pos);
            pos = limit;
            if (all.size() > maxBytes) {
                throw tooLong("standard input holds");
            }
        }
        return all.toByteArray();
    }

    private byte[] decodedLine() throws IOException {
        // base64 takes 4 characters for 3 bytes, and a \r may end the line
        byte[] text = line(4 * ((maxBytes + 2) / 3) + 1, "line " + (line + 1) + " of standard input decodes to");
        if (text == null) {
            return null;
        }
        int length = text.length > 0 && text[text.length - 1] == '\r' ? text.length - 1 : text.length;
        try {
            return Base64.getDecoder().decode(Arrays.copyOf(text, length));
        } catch (IllegalArgumentException e) {
            throw StreamingException.invalidArgument("line " + line + " of standard input is not base64: " + e.getMessage()
                    + "; nothing from it on was sent");
        }
    }

    /** The bytes before the next \n (or the end), or {@code null} at the end; counts the line. */
    private byte[] line(int max, String tooLong) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (fill()) {
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            b.write(buf, start, pos - start);
            if (b.size() > max) {
                throw tooLong(tooLong);
            }
            if (pos < limit) {
                pos++; // the \n
                line++;
                return b.toByteArray();
            }
        }
        if (b.size() == 0) {
            return null;
        }
        line++;
        return b.toByteArray();
    }

    /** Whether buffered bytes are there, reading more if none are; false at the end of the input. */
    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        if (eof) {
            return false;
        }
        int n = in.read(buf);
        if (n < 0) {
            eof = true;
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private StreamingException tooLong(String what) {
        return StreamingException.invalidArgument(what + " more than " + maxBytes + " bytes, the largest message "
                + "(message.max.bytes); nothing from it on was sent");
    }
}
