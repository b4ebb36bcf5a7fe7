package io.tidelog.node.recovery;

import com.google.protobuf.ByteString;
import java.util.Objects;

/**
 * What a {@code WalExtension} persists at a checkpoint of its pchannel.
 *
 * @param state      its state after the snapshot's position (the last message published when it was taken)
 * @param replayFrom null when the state alone suffices: replay then feeds it the messages after the
 *                   snapshot's position; otherwise the point from which it needs the log again (it holds what
 *                   only the log has, such as the rows of segments not yet in object storage), which must
 *                   not lie after the position: replay feeds it every record from {@code replayFrom}'s id on
 *                   and it keeps what it needs
 */
public record ExtensionState(ByteString state, Checkpoint replayFrom) {

    public ExtensionState {
        Objects.requireNonNull(state, "state");
    }

    public static ExtensionState of(ByteString state) {
        return new ExtensionState(state, null);
    }

    /**
     * Decodes a persisted state for {@code WalExtension.restore}.
     *
     * @throws io.tidelog.common.StreamingException {@code DATA_CORRUPTED} naming {@code what} if it cannot be decoded
     */
    public static <T> T parse(com.google.protobuf.Parser<T> parser, ByteString state, String what) {
        try {
            return parser.parseFrom(state);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new io.tidelog.common.StreamingException(io.tidelog.common.ErrorCode.DATA_CORRUPTED,
                    what + " cannot be read: " + e.getMessage(), e);
        }
    }
}
