package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.util.Locale;

/**
 * What a token may call, each role including the one before: {@code read} (consume, query, status),
 * {@code write} (produce: insert, delete, any message but DDL), {@code admin} (DDL, flush, drain, the calls between
 * members of a cluster). {@link MethodRoles} says which role each RPC needs.
 */
enum Role {
    READ, WRITE, ADMIN;

    /** Whether a caller of this role may make a call that needs {@code needed}. */
    boolean allows(Role needed) {
        return compareTo(needed) >= 0;
    }

    /** The role's name in token files and messages. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The role named {@code name}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a name other than {@code read}, {@code write}, {@code admin}
     */
    static Role parse(String name) {
        for (Role r : values()) {
            if (r.label().equals(name)) {
                return r;
            }
        }
        throw StreamingException.invalidArgument("unknown role '" + name + "' (read, write or admin)");
    }
}
