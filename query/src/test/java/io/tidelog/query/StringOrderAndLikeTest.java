package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Seeds;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link Utf8Order} against UTF-8 bytes, and {@link LikePattern} against a regular expression. */
class StringOrderAndLikeTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static final String[] PIECES = {"a", "b", "é", "😀", "\uE000", "\uFFFF", "\uD7FF", "%", "_", "\\", "ab", ""};

    static String randomString(Random random, int maxPieces) {
        StringBuilder b = new StringBuilder();
        for (int i = random.nextInt(maxPieces + 1); i > 0; i--) {
            b.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return b.toString();
    }

    @Test
    void codePointOrderIsTheOrderOfUtf8Bytes() {
        Random random = seeds.random();
        for (int i = 0; i < 20_000; i++) {
            String a = randomString(random, 4);
            String b = randomString(random, 4);
            int bytes = Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
            assertThat(Integer.signum(Utf8Order.compare(a, b))).as("%s vs %s", a, b).isEqualTo(Integer.signum(bytes));
        }
        assertThat(Utf8Order.compare("😀", "\uFFFF")).isPositive();
        assertThat("😀".compareTo("\uFFFF")).isNegative();
    }

    @Test
    void likeMatchesAsTheEquivalentRegularExpression() {
        Random random = seeds.random();
        for (int i = 0; i < 20_000; i++) {
            String pattern = randomString(random, 5);
            LikePattern like = LikePattern.compile(pattern);
            Pattern regex = regex(pattern);
            if (regex == null) {
                assertThat(like).as(pattern).isNull();
                continue;
            }
            for (int j = 0; j < 5; j++) {
                String value = randomString(random, 6);
                assertThat(like.matches(value)).as("%s like %s", value, pattern)
                        .isEqualTo(regex.matcher(value).matches());
            }
        }
    }

    @Test
    void likeNeverBacktracksExponentially() {
        LikePattern like = LikePattern.compile("%a%a%a%a%a%a%a%a%a%a%a%a%b");
        String value = "a".repeat(100_000);
        long start = System.nanoTime();
        assertThat(like.matches(value)).isFalse();
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
    }

    /** The regular expression of a like pattern; {@code null} if it ends in a lone backslash. */
    static Pattern regex(String like) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < like.length(); ) {
            int c = like.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\\') {
                if (i == like.length()) {
                    return null;
                }
                int e = like.codePointAt(i);
                i += Character.charCount(e);
                b.append(Pattern.quote(new String(Character.toChars(e))));
            } else if (c == '%') {
                b.append(".*");
            } else if (c == '_') {
                b.append('.');
            } else {
                b.append(Pattern.quote(new String(Character.toChars(c))));
            }
        }
        return Pattern.compile(b.toString(), Pattern.DOTALL);
    }
}
