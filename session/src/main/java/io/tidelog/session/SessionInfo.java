package io.tidelog.session;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One life of a member as the meta store holds it (key {@code session/<role>/<id>}).
 *
 * @param role      the member's role ({@code node}, {@code coord}, ...)
 * @param id        the member's id, unique within its role; stable across its restarts
 * @param sessionId the lease of this life: with the id, the session's identity (a restart has a new one)
 * @param info      what the member tells the others (an address, for example); copied in and out
 * @param startedAt when the member registered, by its own clock
 * @param revision  the revision of the registration (the key's mod revision)
 */
public record SessionInfo(String role, String id, long sessionId, byte[] info, Instant startedAt, long revision) {
    public SessionInfo {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(startedAt, "startedAt");
        info = info == null ? new byte[0] : info.clone();
    }

    /** A copy of the info bytes. */
    @Override
    public byte[] info() {
        return info.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionInfo s && role.equals(s.role) && id.equals(s.id) && sessionId == s.sessionId
                && Arrays.equals(info, s.info) && startedAt.equals(s.startedAt) && revision == s.revision;
    }

    @Override
    public int hashCode() {
        return Objects.hash(role, id, sessionId, Arrays.hashCode(info), startedAt, revision);
    }

    @Override
    public String toString() {
        return "SessionInfo[" + role + "/" + id + ", session " + sessionId + ", " + info.length + " bytes of info,"
                + " started " + startedAt + ", revision " + revision + "]";
    }
}
