package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The hashes are part of the data format: these values must never change. */
class PrimaryKeyHashTest {
    @Test
    void int64KeysHashWithMurmur3OfTheirLittleEndianBytes() {
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash(0L))).isEqualTo(1669671676L);
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash(1L))).isEqualTo(1392991556L);
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash(-1L))).isEqualTo(1651860712L);
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash(1234567890123L))).isEqualTo(1740798302L);
    }

    @Test
    void varcharKeysHashWithCrc32OfTheirUtf8Bytes() {
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash(""))).isEqualTo(0L);
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash("hello"))).isEqualTo(907060870L);
        assertThat(Integer.toUnsignedLong(PrimaryKeyHash.hash("héllo"))).isEqualTo(2654700086L);
    }

    @Test
    void theShardIsTheUnsignedHashModuloTheShardCount() {
        assertThat(PrimaryKeyHash.shardOf(-1L, 7)).isEqualTo((int) (1651860712L % 7));
        assertThat(PrimaryKeyHash.shardOf("héllo", 3)).isEqualTo((int) (2654700086L % 3));
        assertThat(PrimaryKeyHash.shardOf(42L, 1)).isZero();
        assertThatThrownBy(() -> PrimaryKeyHash.shardOf(4, 2)).hasMessageContaining("Long or a String");
    }
}
