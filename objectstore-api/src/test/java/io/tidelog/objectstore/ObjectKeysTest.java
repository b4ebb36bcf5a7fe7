package io.tidelog.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

    @Test
    void aKeyIsValidWhenEverySegmentIsANonEmptyNonDotName() {
        assertThat(ObjectKeys.isValidKey("a")).isTrue();
        assertThat(ObjectKeys.isValidKey("a/b/c.parquet")).isTrue();
        assertThat(ObjectKeys.isValidKey("a/..b/...")).isTrue();
        assertThat(ObjectKeys.isValidKey("a/b/")).isFalse();
        assertThat(ObjectKeys.isValidKey("a/../b")).isFalse();
        assertThat(ObjectKeys.isValidKey(null)).isFalse();
    }

    @Test
    void theLengthLimitsCountUtf8Bytes() {
        String twoByteSegment = "é".repeat(ObjectKeys.MAX_SEGMENT_BYTES / 2);
        assertThat(ObjectKeys.isValidKey(twoByteSegment)).isTrue();
        assertThat(ObjectKeys.isValidKey(twoByteSegment + "é")).isFalse();
        String longKey = (twoByteSegment + "/").repeat(4) + "x".repeat(ObjectKeys.MAX_KEY_BYTES - 4 * 255);
        assertThat(longKey.getBytes(StandardCharsets.UTF_8).length).isEqualTo(ObjectKeys.MAX_KEY_BYTES);
        assertThat(ObjectKeys.isValidKey(longKey)).isTrue();
        assertThat(ObjectKeys.isValidKey(longKey + "x")).isFalse();
    }

    @Test
    void aPrefixMayEndInAPartialSegmentOrASlash() {
        for (String ok : new String[] {"", "a", "a/", "a/b", "a/..", "a/.", ".tidelog-"}) {
            assertThat(ObjectKeys.requireValidPrefix(ok)).isEqualTo(ok);
        }
        for (String bad : new String[] {"/", "/a", "a//", "a/../", "./x", "a\tb", ".tidelog-x/"}) {
            assertThatThrownBy(() -> ObjectKeys.requireValidPrefix(bad))
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void theErrorNamesTheKeyAndTheRuleItBreaks() {
        assertThatThrownBy(() -> ObjectKeys.requireValidKey("seg/\u0001x"))
                .hasMessageContaining("'seg/\\u0001x'").hasMessageContaining("control character U+0001");
        assertThatThrownBy(() -> ObjectKeys.requireValidKey("a//b")).hasMessageContaining("empty segment");
    }

    @Test
    void aUriWithoutAKnownSchemeIsRejectedListingTheKnownOnes() {
        assertThatThrownBy(() -> ObjectStores.open("gopher://x/y", Map.of()))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("known schemes: [");
        for (String bad : new String[] {"no-scheme", ":x", "file:", "1x:/y"}) {
            assertThatThrownBy(() -> ObjectStores.open(bad, Map.of()))
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void aUriMayContainCharactersThatNeedQuoting() {
        URI uri = ObjectStores.parse("FILE:/tmp/my dir/x#1");
        assertThat(uri.getScheme()).isEqualTo("file");
        assertThat(uri.getPath()).isEqualTo("/tmp/my dir/x#1");
        assertThat(ObjectStores.parse("s3://bucket/a/b").getAuthority()).isEqualTo("bucket");
        assertThat(ObjectStores.parse("file:rel/dir").getSchemeSpecificPart()).isEqualTo("rel/dir");
    }
}
