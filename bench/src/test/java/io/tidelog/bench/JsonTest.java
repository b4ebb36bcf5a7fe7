package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void nestedObjectsAndArraysGetTheirCommas() {
        Json j = new Json().beginObject().field("a", 1L).name("o").beginObject().field("b", "x").endObject()
                .name("l").beginArray().value(1.5).value(2).beginObject().field("c", true).endObject().endArray()
                .field("d", 0.25).endObject();
        assertThat(j.toString()).isEqualTo("{\"a\":1,\"o\":{\"b\":\"x\"},\"l\":[1.5,2,{\"c\":true}],\"d\":0.25}");
    }

    @Test
    void stringsAreEscapedAndNonFiniteNumbersBecomeNull() {
        Json j = new Json().beginObject().field("s", "q\"b\\n\n\u0001").field("nan", Double.NaN)
                .field("inf", Double.POSITIVE_INFINITY).field("null", (String) null).endObject();
        assertThat(j.toString()).isEqualTo("{\"s\":\"q\\\"b\\\\n\\n\\u0001\",\"nan\":null,\"inf\":null,\"null\":null}");
    }

    @Test
    void numbersKeepSixSignificantDigitsWithoutTrailingZeros() {
        Json j = new Json().beginArray().value(100).value(1234.5).value(0).value(1e-7).value(2.5e9).value(100000.5)
                .value(-0.000123456789).endArray();
        assertThat(j.toString()).isEqualTo("[100,1234.5,0,1e-07,2500000000,100001,-0.000123457]");
    }
}
