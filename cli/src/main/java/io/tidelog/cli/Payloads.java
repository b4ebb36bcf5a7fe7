package io.tidelog.cli;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** How payloads are shown: as text when they are valid UTF-8, else as base64. */
final class Payloads {
    /** Characters of a payload shown in a human line before it is cut. */
    static final int HUMAN_MAX_CHARS = 200;

    private Payloads() {
    }

    /** The payload as text, or {@code null} if it is not valid UTF-8. */
    static String text(ByteString payload) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String base64(ByteString payload) {
        return Base64.getEncoder().encodeToString(payload.toByteArray());
    }

    /** For a human line: text with control characters escaped, or {@code base64:...}; cut after a few hundred characters. */
    static String human(ByteString payload) {
        String text = text(payload);
        String shown = text != null ? escape(text) : "base64:" + base64(payload);
        if (shown.length() > HUMAN_MAX_CHARS) {
            return shown.substring(0, HUMAN_MAX_CHARS) + "... (" + payload.size() + " bytes)";
        }
        return shown;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
