package io.tidelog.message;

import static io.tidelog.proto.MessageType.ALTER_COLLECTION;
import static io.tidelog.proto.MessageType.BEGIN_TXN;
import static io.tidelog.proto.MessageType.COMMIT_TXN;
import static io.tidelog.proto.MessageType.CREATE_COLLECTION;
import static io.tidelog.proto.MessageType.CREATE_PARTITION;
import static io.tidelog.proto.MessageType.CREATE_SEGMENT;
import static io.tidelog.proto.MessageType.DELETE;
import static io.tidelog.proto.MessageType.DROP_COLLECTION;
import static io.tidelog.proto.MessageType.DROP_PARTITION;
import static io.tidelog.proto.MessageType.FLUSH;
import static io.tidelog.proto.MessageType.INSERT;
import static io.tidelog.proto.MessageType.MANUAL_FLUSH;
import static io.tidelog.proto.MessageType.RAW;
import static io.tidelog.proto.MessageType.ROLLBACK_TXN;
import static io.tidelog.proto.MessageType.TIME_TICK;
import static io.tidelog.proto.MessageType.TXN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class MessageKindTest {
    private static final List<MessageType> KNOWN = MessageArbitraries.KNOWN_TYPES;

    @Test
    void theKnownTypesAreTheSeventeenOfTheWireFormat() {
        assertThat(KNOWN).containsExactlyInAnyOrder(TIME_TICK, INSERT, DELETE, FLUSH, CREATE_COLLECTION,
                DROP_COLLECTION, CREATE_PARTITION, DROP_PARTITION, MANUAL_FLUSH, CREATE_SEGMENT, ALTER_COLLECTION,
                RAW, BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN, TXN);
        assertThat(MessageKind.isKnown(MessageType.MESSAGE_TYPE_UNSPECIFIED)).isFalse();
        assertThat(MessageKind.isKnown(MessageType.UNRECOGNIZED)).isFalse();
        assertThat(MessageKind.isKnown(null)).isFalse();
    }

    @Test
    void systemTypesAreTimeTickAndTheTransactionTypes() {
        assertThat(typesWhere(MessageKind::isSystem))
                .containsExactlyInAnyOrder(TIME_TICK, BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN, TXN);
    }

    @Test
    void selfControlledTypesAreTimeTickCreateSegmentAndFlush() {
        assertThat(typesWhere(MessageKind::isSelfControlled)).containsExactlyInAnyOrder(TIME_TICK, CREATE_SEGMENT, FLUSH);
    }

    @Test
    void exclusiveTypesAreTheDdlTypes() {
        assertThat(typesWhere(MessageKind::isExclusive)).containsExactlyInAnyOrder(CREATE_COLLECTION,
                DROP_COLLECTION, CREATE_PARTITION, DROP_PARTITION, MANUAL_FLUSH, ALTER_COLLECTION);
    }

    @Test
    void txnBodiesAreInsertDeleteAndRaw() {
        assertThat(typesWhere(MessageKind::isTxnBody)).containsExactlyInAnyOrder(INSERT, DELETE, RAW);
    }

    @Test
    void clientsMaySendDataAndDdlButNeitherSystemNorSelfControlledTypes() {
        assertThat(typesWhere(MessageKind::clientMaySend)).containsExactlyInAnyOrder(INSERT, DELETE, RAW,
                CREATE_COLLECTION, DROP_COLLECTION, CREATE_PARTITION, DROP_PARTITION, MANUAL_FLUSH, ALTER_COLLECTION);
        for (MessageType t : List.of(TIME_TICK, FLUSH, CREATE_SEGMENT, BEGIN_TXN, TXN)) {
            assertThatThrownBy(() -> MessageKind.checkClientMaySend(t))
                    .as(t.name())
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining(t.name());
        }
        MessageKind.checkClientMaySend(INSERT);
    }

    @Test
    void aProduceRequestMayCarryWhatClientsSendPlusTheTransactionSteps() {
        assertThat(typesWhere(MessageKind::isTxnControl)).containsExactlyInAnyOrder(BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN);
        for (MessageType t : List.of(BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN, INSERT, DROP_COLLECTION)) {
            MessageKind.checkProducible(t);
        }
        for (MessageType t : List.of(TIME_TICK, FLUSH, CREATE_SEGMENT, TXN)) {
            assertThatThrownBy(() -> MessageKind.checkProducible(t)).as(t.name())
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void unknownTypesBelongToNoClass() {
        for (MessageType t : Arrays.asList(MessageType.MESSAGE_TYPE_UNSPECIFIED, MessageType.UNRECOGNIZED, null)) {
            assertThat(MessageKind.isSystem(t) || MessageKind.isSelfControlled(t) || MessageKind.isExclusive(t)
                    || MessageKind.isTxnBody(t) || MessageKind.clientMaySend(t) || MessageKind.isPchannelWide(t)
                    || MessageKind.isTxnControl(t))
                    .as(String.valueOf(t))
                    .isFalse();
            assertThat(MessageKind.headerCase(t)).isEqualTo(MessageHeader.HeaderCase.HEADER_NOT_SET);
        }
    }

    @Test
    void everyKnownTypeHasTheHeaderFieldOfItsNumber() {
        for (MessageType t : KNOWN) {
            assertThat(MessageKind.headerCase(t)).as(t.name()).isNotEqualTo(MessageHeader.HeaderCase.HEADER_NOT_SET);
            assertThat(MessageKind.headerCase(t).getNumber()).isEqualTo(t.getNumber());
            assertThat(MessageKind.headerCase(t).name()).isEqualTo(t.name());
        }
    }

    @Test
    void aHeaderOfAnotherTypeDoesNotMatch() {
        MessageHeader delete = MessageHeader.newBuilder().setDelete(DeleteHeader.getDefaultInstance()).build();
        MessageKind.checkHeader(DELETE, delete);

        assertThatThrownBy(() -> MessageKind.checkHeader(INSERT, delete))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("INSERT").hasMessageContaining("DELETE");
        assertThatThrownBy(() -> MessageKind.checkHeader(INSERT, MessageHeader.getDefaultInstance()))
                .hasMessageContaining("HEADER_NOT_SET");
        MessageKind.checkHeader(INSERT, MessageHeader.newBuilder().setInsert(InsertHeader.newBuilder()).build());
    }

    private static List<MessageType> typesWhere(Predicate<MessageType> p) {
        return KNOWN.stream().filter(p).toList();
    }
}
