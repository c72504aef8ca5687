package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

class NumbersTest {

    @Test
    void cellsHaveFourSignificantDigitsAndNoSeparators() {
        assertEquals("1969.2", Numbers.format(1969.18));
        assertEquals("0.8844", Numbers.format(0.8843750000001));
        assertEquals("0.3", Numbers.format(0.30000000000000004));
        assertEquals("16384", Numbers.format(16384.0));
        assertEquals("1.235e-04", Numbers.format(0.00012345));
        assertEquals("", Numbers.format(Double.NaN));
        assertEquals("∞", Numbers.format(Double.POSITIVE_INFINITY));
    }

    @Test
    void labelsHaveThreeSignificantDigits() {
        assertEquals("0.884", Numbers.label(0.8843750000001));
        assertEquals("12.3", Numbers.label(12.3456789));
        assertEquals("1969", Numbers.label(1969.18));
        assertEquals("0.1", Numbers.label(0.1));
        assertEquals("0", Numbers.label(-0.0));
        for (double v : new double[] {0.1 + 0.2, 2.0 / 3, Math.PI * 100, 1e-2 / 3}) {
            String s = Numbers.label(v);
            assertTrue(s.replace("-", "").replace(".", "").replaceFirst("^0+", "").length() <= 3 || s.contains("e"), v + " → " + s);
            assertFalse(s.contains(","), s);
        }
    }

    @Test
    void ticksUseTheDecimalsOfTheirStep() {
        assertEquals(2, Numbers.decimalsFor(0.25));
        assertEquals(1, Numbers.decimalsFor(0.1));
        assertEquals(0, Numbers.decimalsFor(50));
        assertEquals(3, Numbers.decimalsFor(0.005));
        assertEquals("0.3", Numbers.tick(0.30000000000000004, 0.1));
        assertEquals("0.22", Numbers.tick(0.21875, 0.01));
        assertEquals("0", Numbers.tick(-1e-17, 0.1));
        assertEquals("2000", Numbers.tick(2000, 200));
        assertEquals("20k", Numbers.tick(20000, 5000));
        assertEquals(0.05, Numbers.niceStep(0.6), 1e-12);
        assertEquals(2.5, Numbers.niceStep(30), 1e-12);
    }

    @Test
    void tickFormatterNeverPrintsNoiseOrSeparators() {
        Function<Double, String> f = Numbers.tickFormatter(0.03125, 1.0, false);
        assertEquals("0.2", f.apply(0.2));
        assertEquals("0.25", f.apply(0.25));
        assertEquals("0.3", f.apply(0.1 + 0.2));
        assertEquals("0", f.apply(-0.0));
        Function<Double, String> big = Numbers.tickFormatter(1600, 4000, false);
        assertEquals("1800", big.apply(1800.0));
        assertEquals("2000", big.apply(2000.0000000001));
        Function<Double, String> log = Numbers.tickFormatter(4, 9, true);
        assertEquals("", log.apply(0.0));
        assertEquals("5", log.apply(5.0));
    }

    @Test
    void lengthsAreCompact() {
        assertEquals("1K", Numbers.compact(1024));
        assertEquals("16K", Numbers.compact(16384));
        assertEquals("1M", Numbers.compact(1 << 20));
        assertEquals("1000", Numbers.compact(1000));
        assertEquals("512", Numbers.compact(512));
        assertEquals("20k", Numbers.compact(20000));
        assertEquals("1.5M", Numbers.compact(1_500_000));
        assertEquals("0.5", Numbers.compact(0.5));
    }
}
