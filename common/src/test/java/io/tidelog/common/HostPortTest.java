package io.tidelog.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void namesIpv4AndBracketedIpv6AddressesWithAPortAreAccepted() {
        assertThat(HostPort.parse("localhost:19530")).isEqualTo(new HostPort("localhost", 19530));
        assertThat(HostPort.parse("10.0.0.7:1")).isEqualTo(new HostPort("10.0.0.7", 1));
        assertThat(HostPort.parse("[::1]:65535")).isEqualTo(new HostPort("[::1]", 65535));
        assertThat(HostPort.parse("node-3.tidelog.example:80").toString()).isEqualTo("node-3.tidelog.example:80");
    }

    @Test
    void eachMalformedAddressIsRejectedSayingWhatIsWrong() {
        rejected("::bad", "IPv6 address goes in brackets");
        rejected("host:notaport", "port of 'host:notaport' is not a number");
        rejected("host:99999", "port 99999 is out of range");
        rejected("host:0", "port 0 is out of range");
        rejected("host", "has no port");
        rejected(":19530", "the host is empty");
        rejected("", "no address given");
        rejected("ho st:1", "'ho st' is not a host name or IP address");
        rejected("user@host:1", "is not a host name");
        rejected("a/b:1", "is not a host name");
        rejected("[zz]:1", "is not a host name");
        rejected("under_score:1", "is not a host name");
    }

    private static void rejected(String address, String why) {
        assertThatThrownBy(() -> HostPort.parse(address)).as(address)
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(why);
    }
}
