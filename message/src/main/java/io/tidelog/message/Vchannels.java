package io.tidelog.message;

import io.tidelog.common.Names;
import io.tidelog.common.StreamingException;
import java.util.OptionalLong;

/**
 * vchannel names: {@code <pchannel>_<suffix>}.
 *
 * <p>The pchannel part follows {@link Names#validatePchannel}, which forbids {@code _}; so the pchannel of
 * a vchannel is everything before its first {@code _}, and nothing else needs to be known to route it.
 * The suffix is non-empty: ASCII letters, digits, {@code -}, {@code .} and {@code _}. A collection's
 * shard is {@code <pchannel>_<collectionId>v<shardIndex>} (for example {@code pchannel-3_1001v0}); a
 * {@code Raw} vchannel may use any other suffix. The whole name has at most {@value #MAX_LENGTH} characters.
 *
 * <p><b>The collection form.</b> Every name whose suffix is decimal digits, {@code v}, decimal digits
 * ({@link #isCollectionVchannel}) belongs to collections, whether or not a collection of that id exists,
 * existed or will: a collection's shards are only ever named so, and the node refuses {@code Raw} messages
 * on such names. So the question "may this vchannel carry Raw?" is answered by the name alone, the same
 * on every node, before and after a restart, and a Raw producer can never take the name of a future shard.
 */
public final class Vchannels {
    /** The longest vchannel name accepted. */
    public static final int MAX_LENGTH = 255;

    private Vchannels() {
    }

    /**
     * Checks a vchannel name.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the name and what is wrong with it
     */
    public static void validateVchannel(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw StreamingException.invalidArgument(problem);
        }
    }

    /** Whether {@code name} is a well-formed vchannel name. */
    public static boolean isValidVchannel(String name) {
        return problem(name) == null;
    }

    /**
     * The pchannel a vchannel lives on.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if {@code vchannel} is not a valid name
     */
    public static String pchannelOf(String vchannel) {
        validateVchannel(vchannel);
        return vchannel.substring(0, vchannel.indexOf(Names.VCHANNEL_SEPARATOR));
    }

    /**
     * The name of shard {@code shardIndex} of collection {@code collectionId} on {@code pchannel}:
     * {@code <pchannel>_<collectionId>v<shardIndex>}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a bad pchannel or a negative number
     */
    public static String collectionVchannel(String pchannel, long collectionId, int shardIndex) {
        Names.validatePchannel(pchannel);
        if (collectionId < 0 || shardIndex < 0) {
            throw StreamingException.invalidArgument("collection id and shard index must be >= 0, got "
                    + collectionId + " and " + shardIndex);
        }
        return pchannel + Names.VCHANNEL_SEPARATOR + collectionId + 'v' + shardIndex;
    }

    /**
     * Whether {@code vchannel} has the collection form {@code <pchannel>_<digits>v<digits>} (see the class
     * comment); {@code false} for any other or malformed name.
     */
    public static boolean isCollectionVchannel(String vchannel) {
        if (!isValidVchannel(vchannel)) {
            return false;
        }
        // checked in place: this runs for every message appended
        int suffix = vchannel.indexOf(Names.VCHANNEL_SEPARATOR) + 1;
        int v = vchannel.indexOf('v', suffix);
        return v > suffix && v < vchannel.length() - 1 && digits(vchannel, suffix, v)
                && digits(vchannel, v + 1, vchannel.length());
    }

    /**
     * The collection id a vchannel of the collection form names ({@code 1001} for {@code pchannel-3_1001v0});
     * empty for a name of another form, or whose id does not fit a {@code long}.
     */
    public static OptionalLong collectionIdOf(String vchannel) {
        if (!isCollectionVchannel(vchannel)) {
            return OptionalLong.empty();
        }
        String suffix = vchannel.substring(vchannel.indexOf(Names.VCHANNEL_SEPARATOR) + 1);
        try {
            return OptionalLong.of(Long.parseLong(suffix.substring(0, suffix.indexOf('v'))));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** What is wrong with {@code name} as a vchannel name, or {@code null} if nothing; allocates only then. */
    static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "vchannel name must not be empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "vchannel name has " + name.length() + " characters, the limit is " + MAX_LENGTH + ": '"
                    + name.substring(0, 64) + "...'";
        }
        int sep = name.indexOf(Names.VCHANNEL_SEPARATOR);
        if (sep < 0) {
            return "vchannel name must look like <pchannel>_<suffix>, '" + name + "' has no '_'";
        }
        if (!Names.isValidPchannelPrefix(name, sep)) {
            return "vchannel '" + name + "': its pchannel part '" + name.substring(0, sep) + "' must have "
                    + Names.PCHANNEL_RULE;
        }
        if (sep == name.length() - 1) {
            return "vchannel '" + name + "' has an empty suffix after '_'";
        }
        for (int i = sep + 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!Names.isPchannelChar(c) && c != Names.VCHANNEL_SEPARATOR) {
                return "vchannel '" + name + "' may contain only letters, digits, '-', '.' and '_' after its"
                        + " pchannel, found '" + c + "' at index " + i;
            }
        }
        return null;
    }
}
