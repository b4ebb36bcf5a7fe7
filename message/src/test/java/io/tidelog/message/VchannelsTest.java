package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class VchannelsTest {

    @Test
    void thePchannelIsEverythingBeforeTheFirstUnderscore() {
        assertThat(Vchannels.pchannelOf("pchannel-3_1001v0")).isEqualTo("pchannel-3");
        assertThat(Vchannels.pchannelOf("p.1_orders_eu")).isEqualTo("p.1");
        assertThat(Vchannels.pchannelOf("p_x")).isEqualTo("p");
    }

    @Test
    void aCollectionVchannelNamesPchannelCollectionAndShard() {
        assertThat(Vchannels.collectionVchannel("pchannel-3", 1001, 0)).isEqualTo("pchannel-3_1001v0");
        assertThat(Vchannels.collectionVchannel("p", 7, 12)).isEqualTo("p_7v12");
    }

    @Test
    void aCollectionVchannelNeedsAValidPchannelAndNonNegativeNumbers() {
        assertInvalid(() -> Vchannels.collectionVchannel("a_b", 1, 0), "pchannel name");
        assertInvalid(() -> Vchannels.collectionVchannel("p", -1, 0), ">= 0");
        assertInvalid(() -> Vchannels.collectionVchannel("p", 1, -1), ">= 0");
    }

    @Test
    void badNamesAreRejectedWithAMessageNamingTheProblem() {
        assertInvalid(() -> Vchannels.validateVchannel(null), "must not be empty");
        assertInvalid(() -> Vchannels.validateVchannel(""), "must not be empty");
        assertInvalid(() -> Vchannels.validateVchannel("pchannel-3"), "has no '_'");
        assertInvalid(() -> Vchannels.validateVchannel("_1001v0"), "pchannel part ''");
        assertInvalid(() -> Vchannels.validateVchannel(".p_1001v0"), "pchannel part '.p'");
        assertInvalid(() -> Vchannels.validateVchannel("p/q_1001v0"), "pchannel part 'p/q'");
        assertInvalid(() -> Vchannels.validateVchannel("p_"), "empty suffix");
        assertInvalid(() -> Vchannels.validateVchannel("p_a b"), "found ' ' at index 3");
        assertInvalid(() -> Vchannels.validateVchannel("p_a/b"), "found '/'");
        assertInvalid(() -> Vchannels.validateVchannel("p_" + "x".repeat(254)), "the limit is 255");
        assertInvalid(() -> Vchannels.pchannelOf("nounderscore"), "has no '_'");
    }

    @Test
    void namesUpToTheLimitAreAccepted() {
        String longest = "p_" + "x".repeat(Vchannels.MAX_LENGTH - 2);
        Vchannels.validateVchannel(longest);
        assertThat(Vchannels.isValidVchannel(longest)).isTrue();
        assertThat(Vchannels.isValidVchannel(longest + "x")).isFalse();
    }

    @Property
    void theCollectionVchannelOfAPchannelLivesOnThatPchannel(@ForAll("pchannels") String pchannel,
            @ForAll @LongRange(min = 0) long collectionId, @ForAll @IntRange(min = 0) int shard) {
        String vchannel = Vchannels.collectionVchannel(pchannel, collectionId, shard);
        assertThat(Vchannels.isValidVchannel(vchannel)).isTrue();
        assertThat(Vchannels.pchannelOf(vchannel)).isEqualTo(pchannel);
        assertThat(Vchannels.isCollectionVchannel(vchannel)).isTrue();
        assertThat(Vchannels.collectionIdOf(vchannel)).hasValue(collectionId);
    }

    @Test
    void onlyDigitsVDigitsIsTheCollectionForm() {
        assertThat(Vchannels.isCollectionVchannel("pchannel-3_1001v0")).isTrue();
        assertThat(Vchannels.isCollectionVchannel("p_007v12")).isTrue();
        for (String other : new String[] {"p_x", "p_v0", "p_1001v", "p_1001", "p_1001v0_x", "p_1001V0", "p_a1v0",
                "p_1v0v1", "p_1_v0", "nounderscore", "", "p_1001v0 "}) {
            assertThat(Vchannels.isCollectionVchannel(other)).as(other).isFalse();
            assertThat(Vchannels.collectionIdOf(other)).as(other).isEmpty();
        }
        assertThat(Vchannels.isCollectionVchannel(null)).isFalse();
        assertThat(Vchannels.collectionIdOf("p_007v12")).hasValue(7);
        // the form is reserved even when the id is too large to be any collection's
        assertThat(Vchannels.isCollectionVchannel("p_99999999999999999999v0")).isTrue();
        assertThat(Vchannels.collectionIdOf("p_99999999999999999999v0")).isEmpty();
    }

    @Provide
    Arbitrary<String> pchannels() {
        return MessageArbitraries.pchannels();
    }

    private static void assertInvalid(Runnable call, String messagePart) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(messagePart);
    }
}
