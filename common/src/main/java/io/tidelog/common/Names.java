package io.tidelog.common;

/**
 * Rules for the names of pchannels, shared by every module that names or parses one.
 *
 * <p>A pchannel name has 1 to {@value #MAX_PCHANNEL_LENGTH} characters: ASCII letters, digits, {@code -}
 * and {@code .}, not starting with {@code .}. Backends use it as a directory, topic or key prefix, so
 * the rule is strict. It never contains {@code _}: that character separates the pchannel from the rest
 * of a vchannel name ({@code <pchannel>_<suffix>}), so the pchannel of a vchannel is everything before
 * the vchannel's first {@code _}.
 */
public final class Names {
    /** The longest pchannel name accepted. */
    public static final int MAX_PCHANNEL_LENGTH = 128;

    /** Separates a vchannel's pchannel from its suffix; never part of a pchannel name. */
    public static final char VCHANNEL_SEPARATOR = '_';

    /** The character rule of pchannel names, as error messages state it. */
    public static final String PCHANNEL_RULE =
            "1 to " + MAX_PCHANNEL_LENGTH + " letters, digits, '-' and '.' (not first), no '_'";

    private Names() {
    }

    /**
     * Checks a pchannel name.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the name and the rule
     */
    public static void validatePchannel(String pchannel) {
        if (!isValidPchannel(pchannel)) {
            throw StreamingException.invalidArgument(
                    "pchannel name must have " + PCHANNEL_RULE + ": '" + pchannel + "'");
        }
    }

    /** Whether {@code pchannel} is a well-formed pchannel name; {@code null} is not. */
    public static boolean isValidPchannel(String pchannel) {
        return pchannel != null && isValidPchannelPrefix(pchannel, pchannel.length());
    }

    /**
     * Whether the first {@code length} characters of {@code name} are a well-formed pchannel name (a vchannel's
     * pchannel part, checked in place: it runs for every message appended).
     */
    public static boolean isValidPchannelPrefix(String name, int length) {
        if (length == 0 || length > MAX_PCHANNEL_LENGTH || name.charAt(0) == '.') {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (!isPchannelChar(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code c} may appear in a pchannel name: an ASCII letter or digit, {@code -} or {@code .}. */
    public static boolean isPchannelChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    }
}
