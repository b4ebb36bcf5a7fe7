package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token file: its format, its mistakes, and its reading again on change. */
class TokenFileTest {
    static final String READ = "read-token-0123456789";
    static final String WRITE = "write-token-0123456789";
    static final String ADMIN = "admin-token-0123456789";

    @TempDir
    Path dir;

    static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    Path file(String text) throws Exception {
        Path f = dir.resolve("tokens");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void eachLineNamesACallerItsRoleAndItsTokenWithCommentsAndBlankLinesIgnored() throws Exception {
        TokenFile t = TokenFile.read(file(lines("# NAME ROLE TOKEN", "", "dash read " + READ,
                "  ingest   write " + WRITE + "   # the loader", "ops admin " + ADMIN)),
                List.of(new TokenFile.Extra("internal", "internal-token-0123456789")));
        assertThat(t.caller(READ)).contains(new TokenFile.Caller("dash", Role.READ));
        assertThat(t.caller(WRITE)).contains(new TokenFile.Caller("ingest", Role.WRITE));
        assertThat(t.caller(ADMIN)).contains(new TokenFile.Caller("ops", Role.ADMIN));
        assertThat(t.caller("internal-token-0123456789")).contains(new TokenFile.Caller("internal", Role.ADMIN));
        assertThat(t.caller(READ + "x")).isEmpty();
        assertThat(t.caller("")).isEmpty();
    }

    @Test
    void aMalformedLineIsRefusedNamingItsLineButNeverTheToken() throws Exception {
        assertRefused(lines("ok read " + READ, "bad reader " + WRITE), "line 2", "unknown role 'reader'");
        assertRefused(lines("only-two " + READ), "line 1", "expected NAME ROLE TOKEN");
        assertRefused(lines("short read abc"), "line 1", "at least 16");
        assertRefused(lines("a read " + READ, "b write " + READ), "line 2", "also another name's");
        assertRefused(lines("a read " + READ, "a write " + WRITE), "line 2", "given twice");
    }

    private void assertRefused(String text, String... mentions) throws Exception {
        Path f = file(text);
        assertThatThrownBy(() -> TokenFile.read(f, List.of()))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(mentions).doesNotContain(READ).doesNotContain(WRITE);
                });
    }

    @Test
    void aChangedFileIsReadAgainAndAnInvalidOneKeepsTheTokensReadBefore() throws Exception {
        Path f = file(lines("a read " + READ));
        try (ReloadingTokens tokens = ReloadingTokens.start(f, Duration.ofMillis(20), List.of())) {
            assertThat(tokens.caller(READ)).isPresent();
            Files.writeString(f, lines("a read " + READ, "b write " + WRITE));
            Await.until("the added token", () -> tokens.caller(WRITE).isPresent());
            long seen = tokens.changesSeen();
            Files.writeString(f, lines("a read " + READ, "garbage"));
            Await.until("the invalid file seen", () -> tokens.changesSeen() > seen);
            assertThat(tokens.caller(WRITE)).as("the last good tokens stay").map(TokenFile.Caller::role)
                    .isEqualTo(Optional.of(Role.WRITE));
            Files.delete(f);
            Await.until("the deletion seen", () -> tokens.changesSeen() > seen + 1);
            assertThat(tokens.caller(READ)).as("a deleted file keeps them too").isPresent();
            Files.writeString(f, lines("b write " + WRITE));
            Await.until("the removed token gone", () -> tokens.caller(READ).isEmpty());
            assertThat(tokens.caller(WRITE)).isPresent();
        }
    }
}
