package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonSyntaxTest {
    final JsonSyntax json = new JsonSyntax();

    String problem(String doc) {
        return json.problem(ByteString.copyFromUtf8(doc));
    }

    @Test
    void everyKindOfJsonValueParses() {
        for (String doc : List.of("{}", "[]", "0", "-0.5e+10", "1E3", "\"\"", "true", "false", "null",
                " {\"a\": [1, 2.5, -3e-2, \"x\\n\\u00e9\\\"\", {\"b\": null}], \"c\": true} ",
                "\"h\u00e9llo \u2603\"", "[[[[]]]]", "\t\r\n[ ]\n")) {
            assertThat(problem(doc)).as(doc).isNull();
        }
    }

    @Test
    void malformedJsonIsRejectedWithItsPosition() {
        assertThat(problem("")).isEqualTo("unexpected end at byte 0");
        assertThat(problem("{\"a\":1,}")).isEqualTo("expected a member name at byte 7");
        assertThat(problem("[1 2]")).isEqualTo("expected ',' or ']' at byte 3");
        assertThat(problem("{\"a\" 1}")).isEqualTo("expected ':' at byte 5");
        assertThat(problem("01")).isEqualTo("unexpected content after the value at byte 1");
        assertThat(problem("1.")).isEqualTo("bad fraction at byte 2");
        assertThat(problem("\"abc")).isEqualTo("unterminated string at byte 4");
        assertThat(problem("\"a\\q\"")).isEqualTo("bad escape at byte 3");
        assertThat(problem("\"\\u12g4\"")).isEqualTo("bad \\u escape at byte 5");
        assertThat(problem("tru")).isEqualTo("unexpected end at byte 0");
        assertThat(problem("nul!")).isEqualTo("unexpected character '!' at byte 3");
        assertThat(problem("'a'")).isEqualTo("unexpected character ''' at byte 0");
        assertThat(problem("\"a\u0001\"")).isEqualTo("control character in a string at byte 2");
        assertThat(problem("{} {}")).isEqualTo("unexpected content after the value at byte 3");
        assertThat(json.problem(ByteString.copyFrom(new byte[] {'"', (byte) 0xC3, '"'}))).isEqualTo("not valid UTF-8");
    }

    @Test
    void nestingIsBoundedSoDeepDocumentsFailInsteadOfOverflowingTheStack() {
        String ok = "[".repeat(JsonSyntax.MAX_DEPTH) + "]".repeat(JsonSyntax.MAX_DEPTH);
        String deep = "[".repeat(100_000);
        assertThat(problem(ok)).isNull();
        assertThat(problem(deep)).startsWith("nested deeper than " + JsonSyntax.MAX_DEPTH);
    }

    @Test
    void oneScannerChecksLargeAndSmallDocumentsInTurn() {
        String large = "[" + "1,".repeat(10_000) + "1]";
        assertThat(problem(large)).isNull();
        assertThat(problem("[1,")).isEqualTo("unexpected end at byte 3");
        assertThat(problem("{\"k\":\"v\"}")).isNull();
    }
}
