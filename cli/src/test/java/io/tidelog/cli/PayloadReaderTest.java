package io.tidelog.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.cli.PayloadReader.Format;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Seeds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PayloadReaderTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    /** Bytes written as a Latin-1 string: each char one byte. */
    static byte[] bytes(String latin1) {
        return latin1.getBytes(ISO_8859_1);
    }

    static List<String> read(Format format, byte[] input, int max) throws IOException {
        PayloadReader r = new PayloadReader(new ByteArrayInputStream(input), format, max);
        List<String> out = new ArrayList<>();
        for (byte[] p = r.next(); p != null; p = r.next()) {
            out.add(new String(p, ISO_8859_1));
        }
        return out;
    }

    @Test
    void linesAreSplitOnNewlineOnlyAndKeepEveryOtherByte() throws Exception {
        assertThat(read(Format.LINES, bytes("a\r\nb\u00ff\u00fe\u0000c\n\n\rlast"), 100))
                .containsExactly("a\r", "b\u00ff\u00fe\u0000c", "", "\rlast");
        assertThat(read(Format.LINES, bytes("one\n"), 100)).as("a final newline ends the last line").containsExactly("one");
        assertThat(read(Format.LINES, bytes("\n"), 100)).containsExactly("");
        assertThat(read(Format.LINES, new byte[0], 100)).as("empty input is no message").isEmpty();
    }

    @Test
    void randomBinaryLinesComeBackByteForByte() throws Exception {
        Random rnd = seeds.random();
        List<byte[]> lines = new ArrayList<>();
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        for (int i = 0; i < 200; i++) {
            byte[] line = new byte[rnd.nextInt(300)];
            rnd.nextBytes(line);
            for (int j = 0; j < line.length; j++) {
                line[j] = line[j] == '\n' ? (byte) '\r' : line[j];
            }
            lines.add(line);
            input.write(line);
            input.write('\n');
        }
        PayloadReader r = new PayloadReader(new ByteArrayInputStream(input.toByteArray()), Format.LINES, 1000);
        for (byte[] expected : lines) {
            assertThat(r.next()).isEqualTo(expected);
        }
        assertThat(r.next()).isNull();
    }

    @Test
    void binaryIsAllOfTheInputAsOneMessageEvenWhenEmpty() throws Exception {
        assertThat(read(Format.BINARY, bytes("a\nb\r\n\u00ff"), 100)).containsExactly("a\nb\r\n\u00ff");
        assertThat(read(Format.BINARY, new byte[0], 100)).containsExactly("");
    }

    @Test
    void base64DecodesOneMessagePerLineIgnoringACarriageReturn() throws Exception {
        String enc = Base64.getEncoder().encodeToString(bytes("\u0000\u00ff\n"));
        assertThat(read(Format.BASE64, bytes(enc + "\r\n\naGk\n"), 100)).containsExactly("\u0000\u00ff\n", "", "hi");
    }

    @Test
    void aLineThatIsNotBase64FailsNamingItsNumberAfterTheLinesBeforeIt() throws Exception {
        PayloadReader r = new PayloadReader(new ByteArrayInputStream(bytes("aGk=\n\n*bad*\naGk=\n")), Format.BASE64, 100);
        assertThat(r.next()).isEqualTo(bytes("hi"));
        assertThat(r.next()).isEmpty();
        assertThatThrownBy(r::next)
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("line 3 of standard input is not base64");
    }

    @Test
    void aPayloadOverTheLimitFailsWithoutReadingTheRestOfIt() {
        for (Format f : Format.values()) {
            PayloadReader r = new PayloadReader(endless(), f, 1000);
            assertThatThrownBy(r::next).as("%s", f)
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("more than 1000 bytes, the largest message");
        }
    }

    @Test
    void theFormatIsNamedInAnyCase() {
        Format.Converter c = new Format.Converter();
        assertThat(c.convert("Base64")).isEqualTo(Format.BASE64);
        assertThat(c.convert("lines")).isEqualTo(Format.LINES);
        assertThatThrownBy(() -> c.convert("text")).hasMessageContaining("none of lines, binary, base64");
    }

    /** A stream of 'A's that never ends (valid base64, no newline). */
    private static InputStream endless() {
        return new InputStream() {
            @Override
            public int read() {
                return 'A';
            }
        };
    }
}
