package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Properties every registered mechanism must have, checked for each one in causal and
 * bidirectional form (where it supports them). Each mechanism adds its own, specific tests.
 */
class AttentionContractTest {
    static final int B = 2, T = 16, D = 16, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static Stream<Arguments> mechanisms() {
        return AttentionRegistry.all().stream().flatMap(e -> Stream.of(true, false)
            .filter(causal -> causal ? e.defaults().supportsCausal() : e.defaults().supportsBidirectional())
            .map(causal -> Arguments.of(e.kind(), e.defaults(), causal)));
    }

    /** Every mechanism that supports causal attention, in causal form only. */
    static Stream<Arguments> causalMechanisms() {
        return AttentionRegistry.all().stream().filter(e -> e.defaults().supportsCausal())
            .map(e -> Arguments.of(e.kind(), e.defaults()));
    }

    /** Every mechanism that supports bidirectional attention, in that form only. */
    static Stream<Arguments> bidirectionalMechanisms() {
        return AttentionRegistry.all().stream().filter(e -> e.defaults().supportsBidirectional())
            .map(e -> Arguments.of(e.kind(), e.defaults()));
    }

    static Attention build(AttentionConfig c, boolean causal, int maxLen) {
        return c.build(new AttentionDims(D, H, maxLen, causal));
    }

    static ParamStore params(Attention a, DataType type, long seed) {
        ParamStore p = new ParamStore(type, seed);
        a.declare(p, "attn.");
        return p;
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void outputHasInputShapeAndIsFinite(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        INDArray y = a.forward(params(a, DataType.FLOAT, 1), "attn.", TestData.normal(2, DataType.FLOAT, B, T, D), null);
        assertArrayEquals(new long[] {B, T, D}, y.shape());
        assertTrue(!org.nd4j.linalg.indexing.BooleanIndexing.or(y, org.nd4j.linalg.indexing.conditions.Conditions.isNan())
            && !org.nd4j.linalg.indexing.BooleanIndexing.or(y, org.nd4j.linalg.indexing.conditions.Conditions.isInfinite()), "finite output");
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void graphForwardEqualsEagerForward(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.FLOAT, 3);
        INDArray x = TestData.normal(4, DataType.FLOAT, B, T, D);
        INDArray eager = a.forward(p, "attn.", x, null);
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.FLOAT, false);
        SDVariable xv = g.placeholder("x", DataType.FLOAT, B, T, D);
        if (c.needsEagerEngine()) {   // hashing needs values: the graph must say so, not fail somewhere inside
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.etlab.tensor.EagerOnlyException.class, () -> a.apply(g, "attn.", xv, null));
            assertTrue(e.getMessage().contains("eager engine"), e.getMessage());
            return;
        }
        SDVariable out = a.apply(g, "attn.", xv, null);
        INDArray graph = sd.output(Map.of("x", x), out.name()).get(out.name());
        assertTrue(TestData.maxAbsDiff(eager, graph) < 1e-5, "eager and graph outputs differ by " + TestData.maxAbsDiff(eager, graph));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("causalMechanisms")
    void causalOutputIgnoresTheFuture(String kind, AttentionConfig c) {
        Attention a = build(c, true, T);
        ParamStore p = params(a, DataType.DOUBLE, 5);
        INDArray x = TestData.normal(6, DataType.DOUBLE, B, T, D);
        int cut = T / 2;
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.interval(cut, T), NDArrayIndex.all())
            .assign(TestData.normal(7, DataType.DOUBLE, B, T - cut, D));
        INDArray before = a.forward(p, "attn.", x, null).get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut), NDArrayIndex.all());
        INDArray after = a.forward(p, "attn.", changed, null).get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(before, after) < 1e-10, "positions before " + cut + " changed when only later ones did");
        // and the future does matter when the mask is off: a test that could not fail would prove nothing
        INDArray laterBefore = a.forward(p, "attn.", x, null).get(NDArrayIndex.all(), NDArrayIndex.interval(cut, T), NDArrayIndex.all());
        INDArray laterAfter = a.forward(p, "attn.", changed, null).get(NDArrayIndex.all(), NDArrayIndex.interval(cut, T), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(laterBefore, laterAfter) > 1e-6, "changed positions should change their own outputs");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bidirectionalMechanisms")
    void bidirectionalOutputSeesTheWholeSequence(String kind, AttentionConfig c) {
        Attention a = build(c, false, T);
        ParamStore p = params(a, DataType.DOUBLE, 8);
        INDArray x = TestData.normal(9, DataType.DOUBLE, B, T, D);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.point(T - 1), NDArrayIndex.all()).addi(1.0);
        INDArray first = a.forward(p, "attn.", x, null).get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
        INDArray firstChanged = a.forward(p, "attn.", changed, null).get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(first, firstChanged) > 1e-8, "position 0 should depend on the last position");
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void paddedKeysAreIgnored(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.DOUBLE, 10);
        INDArray x = TestData.normal(11, DataType.DOUBLE, B, T, D);
        int real = T - 5;
        INDArray pad = Nd4j.ones(DataType.DOUBLE, B, T);
        pad.get(NDArrayIndex.all(), NDArrayIndex.interval(real, T)).assign(0);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.interval(real, T), NDArrayIndex.all()).addi(3.0);
        INDArray y1 = a.forward(p, "attn.", x, pad).get(NDArrayIndex.all(), NDArrayIndex.interval(0, real), NDArrayIndex.all());
        INDArray y2 = a.forward(p, "attn.", changed, pad).get(NDArrayIndex.all(), NDArrayIndex.interval(0, real), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(y1, y2) < 1e-9, "real positions changed when only padding did");
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void batchItemsAreIndependent(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.DOUBLE, 12);
        INDArray x = TestData.normal(13, DataType.DOUBLE, B, T, D);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()).addi(2.0);
        INDArray y1 = a.forward(p, "attn.", x, null).get(NDArrayIndex.point(0));
        INDArray y2 = a.forward(p, "attn.", changed, null).get(NDArrayIndex.point(0));
        assertTrue(TestData.maxAbsDiff(y1, y2) < 1e-12, "batch item 0 changed when only item 1 did");
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void sameSeedSameOutput(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        INDArray x = TestData.normal(14, DataType.FLOAT, B, T, D);
        INDArray y1 = a.forward(params(a, DataType.FLOAT, 15), "attn.", x, null);
        INDArray y2 = build(c, causal, T).forward(params(a, DataType.FLOAT, 15), "attn.", x, null);
        assertEquals(0.0, TestData.maxAbsDiff(y1, y2), "same seed, same input: bit-identical output");
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void gradientsMatchFiniteDifferences(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, 8);
        ParamStore p = params(a, DataType.DOUBLE, 16);
        INDArray x = TestData.normal(17, DataType.DOUBLE, 2, 8, D);
        GradientCheck check = c.needsEagerEngine() ? new GradientCheck().eagerOnly() : new GradientCheck();
        if (c instanceof RelativeAttention.Config) {
            // W_R's rows for slow sinusoids shift a whole score row almost uniformly, which softmax ignores: gradients of ~1e-6
            // whose central differences at ε = 1e-6 carry ~1e-8 of round-off; at ε = 1e-4 they agree with ε = 1e-3 to 1e-11
            check = new GradientCheck(1e-4, 1e-5, 1e-8, 12);
        }
        GradientCheck.Result r = check.check(p, x, new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T in) {
                return a.apply(ops, "attn.", in, null);
            }
        }, 18);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 50, "enough elements checked: " + r);
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void badInputsAreRejectedWithAMessageNamingThem(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.FLOAT, 19);
        var rank = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, T, D), null));
        assertTrue(rank.getMessage().startsWith("x = array of shape [16, 16]") && rank.getMessage().contains("rank 3"), rank.getMessage());
        var width = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, B, T, D + 1), null));
        assertTrue(width.getMessage().contains("size 16 on axis 2 (dModel)"), width.getMessage());
        var tooLong = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, B, T + 1, D), null));
        assertTrue(tooLong.getMessage().equals("sequence length = 17: expected at most maxLen = 16"), tooLong.getMessage());
        INDArray nan = Nd4j.zeros(DataType.FLOAT, B, T, D);
        nan.putScalar(new long[] {1, 2, 3}, Double.NaN);
        var nanError = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", nan, null));
        assertTrue(nanError.getMessage().contains("NaN or Inf") && nanError.getMessage().startsWith("x = "), nanError.getMessage());
        var padShape = assertThrows(IllegalArgumentException.class,
            () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, B, T, D), Nd4j.ones(DataType.FLOAT, B, T - 1)));
        assertTrue(padShape.getMessage().startsWith("keyPadding = array of shape [2, 15]: expected shape (2, 16)"), padShape.getMessage());
        var heads = assertThrows(IllegalArgumentException.class, () -> new AttentionDims(D, 3, T, causal));
        assertEquals("heads = 3: expected a divisor of dModel = 16", heads.getMessage());
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void emptyWronglyTypedAndBadlyPaddedInputsAreRejectedWithAMessageNamingThem(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.FLOAT, 20);
        INDArray x = TestData.normal(21, DataType.FLOAT, B, T, D);
        var noLength = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, B, 0, D), null));
        assertEquals("x = array of shape [2, 0, 16]: expected at least one batch item and one position (batch ≥ 1, length ≥ 1)", noLength.getMessage());
        var noBatch = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.FLOAT, 0, T, D), null));
        assertEquals("x = array of shape [0, 16, 16]: expected at least one batch item and one position (batch ≥ 1, length ≥ 1)", noBatch.getMessage());
        var ints = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", Nd4j.zeros(DataType.INT, B, T, D), null));
        assertEquals("x = array of type INT: expected a floating-point array (e.g. FLOAT or DOUBLE)", ints.getMessage());
        var doubles = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x.castTo(DataType.DOUBLE), null));
        assertEquals("x = array of type DOUBLE: expected the parameters' data type FLOAT (cast x, or create the parameters in DOUBLE)",
            doubles.getMessage());

        INDArray nan = Nd4j.ones(DataType.FLOAT, B, T);
        nan.putScalar(1, 3, Double.NaN);
        var nanPad = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, nan));
        assertEquals("keyPadding = array of shape [2, 16] containing NaN: expected only 0 (padding) and 1 (token)", nanPad.getMessage());
        INDArray two = Nd4j.ones(DataType.FLOAT, B, T);
        two.putScalar(0, 5, 2);
        var twoPad = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, two));
        assertEquals("keyPadding = array of shape [2, 16] containing 2.0: expected only 0 (padding) and 1 (token)", twoPad.getMessage());
        INDArray itemPadded = Nd4j.ones(DataType.FLOAT, B, T);
        itemPadded.getRow(1).assign(0);
        var fullyPadded = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, itemPadded));
        assertEquals("keyPadding = row 1 all zero: expected at least one token per batch item", fullyPadded.getMessage());
        var bool = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", x, Nd4j.ones(DataType.BOOL, B, T)));
        assertEquals("keyPadding = array of type BOOL: expected a numeric array of 0 (padding) and 1 (token)", bool.getMessage());

        // a key padding of another numeric type is cast to x's type (documented on Attention.forward)
        INDArray pad = Nd4j.ones(DataType.FLOAT, B, T);
        pad.get(NDArrayIndex.all(), NDArrayIndex.interval(T - 3, T)).assign(0);
        INDArray expected = a.forward(p, "attn.", x, pad);
        assertEquals(0.0, TestData.maxAbsDiff(expected, a.forward(p, "attn.", x, pad.castTo(DataType.INT))));
        assertEquals(0.0, TestData.maxAbsDiff(expected, a.forward(p, "attn.", x, pad.castTo(DataType.DOUBLE))));
    }

    @ParameterizedTest(name = "{0} causal={2}")
    @MethodSource("mechanisms")
    void hugeFiniteInputsGiveAnErrorInsteadOfNaN(String kind, AttentionConfig c, boolean causal) {
        Attention a = build(c, causal, T);
        ParamStore p = params(a, DataType.FLOAT, 21);
        INDArray huge = TestData.normal(22, DataType.FLOAT, B, T, D).muli(1e30);
        if (c instanceof LshAttention.Config) {
            // keys are unit vectors (shared-QK), so scores grow like |x|, not |x|²: 1e30 does not overflow, and must not give NaN
            assertTrue(dev.etlab.Check.allFinite(a.forward(p, "attn.", huge, null)), "finite output for finite scores");
            huge.muli(1e8);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> a.forward(p, "attn.", huge, null));
        assertTrue(e.getMessage().startsWith("x = values up to ") && e.getMessage().contains("overflowed to NaN/Inf"), e.getMessage());
        // ordinary inputs are untouched by the check
        assertEquals(B, a.forward(p, "attn.", TestData.normal(23, DataType.FLOAT, B, T, D), null).size(0));
    }
}
