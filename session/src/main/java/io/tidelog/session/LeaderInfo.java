package io.tidelog.session;

import java.util.Arrays;
import java.util.Objects;

/**
 * The leader of an election as last seen, for answering clients with the leader's address.
 *
 * @param memberId  the leader's member id
 * @param sessionId the lease of the leader's session
 * @param info      what the leader gave when it campaigned (its address, for example); copied in and out
 * @param epoch     the create revision of the election key: strictly increasing from leader to leader
 */
public record LeaderInfo(String memberId, long sessionId, byte[] info, long epoch) {
    public LeaderInfo {
        Objects.requireNonNull(memberId, "memberId");
        info = info == null ? new byte[0] : info.clone();
    }

    /** A copy of the info bytes. */
    @Override
    public byte[] info() {
        return info.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeaderInfo l && memberId.equals(l.memberId) && sessionId == l.sessionId
                && Arrays.equals(info, l.info) && epoch == l.epoch;
    }

    @Override
    public int hashCode() {
        return Objects.hash(memberId, sessionId, Arrays.hashCode(info), epoch);
    }

    @Override
    public String toString() {
        return "LeaderInfo[" + memberId + ", session " + sessionId + ", epoch " + epoch + ", " + info.length
                + " bytes of info]";
    }
}
