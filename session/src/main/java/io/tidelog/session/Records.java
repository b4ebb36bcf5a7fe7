package io.tidelog.session;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaKeys;
import io.tidelog.state.proto.LeaderRecord;
import io.tidelog.state.proto.SessionRecord;
import java.time.Instant;

/** The keys and values of sessions and leaders in the meta store. */
final class Records {
    /** Every session key lives under it: {@code session/<role>/<id>}. */
    static final String ROOT = "session/";

    private Records() {
    }

    /** The prefix of one role's session keys, {@code session/<role>/}. */
    static String rolePrefix(String role) {
        return ROOT + requireName("role", role) + "/";
    }

    static String sessionKey(String role, String id) {
        return MetaKeys.requireKey(rolePrefix(role) + requireName("id", id));
    }

    /** The member id of a key under {@code prefix}, or null if the key is not a session key of that role. */
    static String idOf(String prefix, String key) {
        if (!key.startsWith(prefix) || key.length() == prefix.length() || key.indexOf('/', prefix.length()) >= 0) {
            return null;
        }
        return key.substring(prefix.length());
    }

    static byte[] session(String role, String id, long leaseId, byte[] info, Instant startedAt) {
        return SessionRecord.newBuilder().setRole(role).setId(id).setLeaseId(leaseId).setInfo(ByteString.copyFrom(info))
                .setStartedMillis(startedAt.toEpochMilli()).build().toByteArray();
    }

    static SessionInfo sessionInfo(KeyValue kv) {
        try {
            SessionRecord r = SessionRecord.parseFrom(kv.value());
            return new SessionInfo(r.getRole(), r.getId(), kv.lease(), r.getInfo().toByteArray(),
                    Instant.ofEpochMilli(r.getStartedMillis()), kv.modRevision());
        } catch (InvalidProtocolBufferException e) {
            throw StreamingException.corrupted("the session record " + kv + " does not parse: " + e.getMessage());
        }
    }

    static byte[] leader(String memberId, long sessionId, byte[] info) {
        return LeaderRecord.newBuilder().setMemberId(memberId).setSessionId(sessionId).setInfo(ByteString.copyFrom(info))
                .build().toByteArray();
    }

    static LeaderInfo leaderInfo(KeyValue kv) {
        try {
            LeaderRecord r = LeaderRecord.parseFrom(kv.value());
            return new LeaderInfo(r.getMemberId(), kv.lease(), r.getInfo().toByteArray(), kv.createRevision());
        } catch (InvalidProtocolBufferException e) {
            throw StreamingException.corrupted("the leader record " + kv + " does not parse: " + e.getMessage());
        }
    }

    private static String requireName(String what, String name) {
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
            throw StreamingException.invalidArgument("a session's " + what + " is a non-empty name without '/', got "
                    + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }
}
