package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens of a token file ({@code security.tokens.file}), one per line, {@code #} starting a comment:
 *
 * <pre>
 * # NAME      ROLE   TOKEN
 * ingest      write  3q2+7w...        (at least 16 printable ASCII characters, no spaces)
 * dashboard   read   Zp9x...
 * ops         admin  c0ffee...
 * </pre>
 *
 * Names and tokens are unique; the name is what logs show of a caller, never the token. Only a digest of each token
 * is kept, and a presented token is compared with every one of them in constant time, so neither the answer's
 * timing nor a heap dump gives a token away. Immutable.
 */
final class TokenFile {
    /** The shortest token accepted: shorter ones are guessable. */
    static final int MIN_TOKEN_LENGTH = 16;

    /** Who called: the name of its token and the token's role. */
    record Caller(String name, Role role) {
    }

    private record Entry(Caller caller, byte[] digest) {
    }

    private final List<Entry> entries;

    private TokenFile(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads {@code file}, with {@code extra} tokens besides (the members' and the process's own, as admin).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the file and line of a malformed line, a duplicate
     *         or an unreadable file (never the token)
     */
    static TokenFile read(Path file, List<Extra> extra) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw StreamingException.invalidArgument("the token file " + file + " cannot be read: " + e);
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> digests = new HashSet<>();
        for (Extra x : extra) {
            add(entries, names, digests, new Caller(x.name(), Role.ADMIN), x.token(), "the process's own tokens");
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (f.length == 1 && f[0].isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            if (f.length != 3) {
                throw StreamingException.invalidArgument(where + ": expected NAME ROLE TOKEN, found " + f.length
                        + (f.length == 1 ? " field" : " fields"));
            }
            Role role;
            try {
                role = Role.parse(f[1]);
            } catch (StreamingException e) {
                throw StreamingException.invalidArgument(where + ": " + e.detail());
            }
            add(entries, names, digests, new Caller(f[0], role), f[2], where);
        }
        return new TokenFile(entries);
    }

    /** A token that is not in the file: a member's or the process's own, with the name logs show. */
    record Extra(String name, String token) {
    }

    private static void add(List<Entry> entries, Set<String> names, Set<String> digests, Caller caller, String token,
                            String where) {
        if (!isWellFormed(token)) {
            throw StreamingException.invalidArgument(where + ": the token of " + caller.name() + " must be at least "
                    + MIN_TOKEN_LENGTH + " printable ASCII characters without spaces");
        }
        byte[] digest = digest(token);
        if (!names.add(caller.name())) {
            throw StreamingException.invalidArgument(where + ": the name " + caller.name() + " is given twice");
        }
        if (!digests.add(java.util.HexFormat.of().formatHex(digest))) {
            throw StreamingException.invalidArgument(where + ": the token of " + caller.name()
                    + " is also another name's");
        }
        entries.add(new Entry(caller, digest));
    }

    /** Whether {@code token} may be a token: {@value #MIN_TOKEN_LENGTH} or more printable ASCII characters, no space. */
    static boolean isWellFormed(String token) {
        return token.length() >= MIN_TOKEN_LENGTH && token.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }

    /** The caller whose token {@code token} is; compares with every token, in constant time. */
    Optional<Caller> caller(String token) {
        byte[] d = digest(token);
        Caller found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(d, e.digest()) && found == null) {
                found = e.caller();
            }
        }
        return Optional.ofNullable(found);
    }

    /** How many tokens there are, the extra ones included. */
    int size() {
        return entries.size();
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
