package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The --json line as Gson's writer produces it, with the bench's own number format. */
class BenchJsonTest {

    @Test
    void nestedObjectsAndArraysGetTheirCommas() {
        String j = BenchJson.write(w -> w.beginObject().name("a").value(1L).name("o").beginObject().name("b").value("x")
                .endObject().name("l").beginArray().value(1.5).value(2).beginObject().name("c").value(true).endObject()
                .endArray().name("d").value(0.25).endObject());
        assertThat(j).isEqualTo("{\"a\":1,\"o\":{\"b\":\"x\"},\"l\":[1.5,2,{\"c\":true}],\"d\":0.25}");
    }

    @Test
    void stringsAreEscapedAndNonFiniteNumbersBecomeNull() {
        String j = BenchJson.write(w -> w.beginObject().name("s").value("q\"b\\n\n\u0001").name("nan").value(Double.NaN)
                .name("inf").value(Double.POSITIVE_INFINITY).name("null").value((String) null).endObject());
        assertThat(j).isEqualTo("{\"s\":\"q\\\"b\\\\n\\n\\u0001\",\"nan\":null,\"inf\":null,\"null\":null}");
    }

    @Test
    void numbersKeepSixSignificantDigitsWithoutTrailingZeros() {
        String j = BenchJson.write(w -> w.beginArray().value(100.0).value(1234.5).value(0.0).value(1e-7).value(2.5e9)
                .value(100000.5).value(-0.000123456789).endArray());
        assertThat(j).isEqualTo("[100,1234.5,0,1e-07,2500000000,100001,-0.000123457]");
    }
}
