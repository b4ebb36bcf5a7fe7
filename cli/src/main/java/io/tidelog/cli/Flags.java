package io.tidelog.cli;

import io.tidelog.common.HostPort;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The converters of the commands' option values: each checks a value completely when the command line is read,
 * so a malformed one is a wrong command line (exit status 2, the option named), never a failure later.
 */
final class Flags {
    /** The longest span a seconds option takes: far beyond any sensible wait, well within a Duration's nanos. */
    static final long MAX_SECONDS = 1_000_000;

    private Flags() {
    }

    /** {@code d} as seconds for a message: {@code 30}, {@code 0.25}. */
    static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }

    /**
     * {@code --server}: {@code HOST:PORT[,HOST:PORT...]}, the coordinators, each a {@link HostPort}; the value is
     * the list normalised and comma-separated, as {@code StreamingClient.Builder.target} takes it.
     */
    static final class Server implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String[] elements = value.split(",", -1);
            List<String> addresses = new ArrayList<>(elements.length);
            for (int i = 0; i < elements.length; i++) {
                if (elements[i].isBlank()) {
                    throw new TypeConversionException(elements.length == 1 ? "no address given: " + HostPort.FORM
                            : "address " + (i + 1) + " of " + elements.length + " in '" + value
                                    + "' is empty: give HOST:PORT[,HOST:PORT...]");
                }
                try {
                    addresses.add(HostPort.parse(elements[i].strip()).toString());
                } catch (StreamingException e) {
                    throw new TypeConversionException(e.detail());
                }
            }
            return String.join(",", addresses);
        }
    }

    /** A vchannel name, {@code <pchannel>_<suffix>}. */
    static final class Vchannel implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                Vchannels.validateVchannel(value);
                return value;
            } catch (StreamingException e) {
                throw new TypeConversionException(e.detail());
            }
        }
    }

    /** A positive number of seconds, decimals allowed, at most {@value #MAX_SECONDS}. */
    static final class Seconds implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            BigDecimal seconds;
            try {
                seconds = new BigDecimal(value.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number of seconds");
            }
            if (seconds.signum() <= 0 || seconds.compareTo(BigDecimal.valueOf(MAX_SECONDS)) > 0) {
                throw new TypeConversionException("'" + value + "' seconds: give more than 0 and at most " + MAX_SECONDS);
            }
            long nanos = seconds.movePointRight(9).longValue();
            return Duration.ofNanos(Math.max(1, nanos));
        }
    }

    /** A file to read: it must exist and be readable. */
    static final class ReadableFile implements ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            return readable(value);
        }
    }

    /** A file to read, or {@code -} for standard input. */
    static final class ReadableFileOrStdin implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!"-".equals(value)) {
                readable(value);
            }
            return value;
        }
    }

    private static Path readable(String value) {
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + value + "' is not a file name: " + e.getReason());
        }
        if (!Files.isRegularFile(p)) {
            throw new TypeConversionException("no file '" + value + "'" + (Files.isDirectory(p) ? " (a directory)" : ""));
        }
        if (!Files.isReadable(p)) {
            throw new TypeConversionException("'" + value + "' cannot be read (permissions)");
        }
        return p;
    }
}
