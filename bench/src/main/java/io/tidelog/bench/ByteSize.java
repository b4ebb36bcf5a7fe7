package io.tidelog.bench;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses and prints byte sizes for the command line: a plain count or a binary suffix
 * ({@code 512}, {@code 1KiB}, {@code 16k}, {@code 64MiB}, {@code 1g}); {@code k m g} mean the same binary
 * units as {@code KiB MiB GiB}.
 */
final class ByteSize implements ITypeConverter<Long> {
    private static final String[][] SUFFIXES = {
        {"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"},
        {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"}, {"b", "1"}};

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    /** The number of bytes {@code text} names; a {@link TypeConversionException} says what was wrong. */
    static long parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        for (String[] s : SUFFIXES) {
            if (t.endsWith(s[0])) {
                unit = Long.parseLong(s[1]);
                t = t.substring(0, t.length() - s[0].length()).trim();
                break;
            }
        }
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("'" + text + "' is not a size such as 1024, 16KiB or 64MiB");
        }
        if (value <= 0) {
            throw new TypeConversionException("a size must be positive, got '" + text + "'");
        }
        return value;
    }

    /** The shortest exact form: {@code 16KiB}, {@code 1MiB}, or a plain count. */
    static String format(long bytes) {
        if (bytes >= 1 << 30 && bytes % (1 << 30) == 0) {
            return (bytes >> 30) + "GiB";
        }
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + "KiB";
        }
        return bytes + "B";
    }
}
