package dev.etlab.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.attention.SparseTransformer.Config;
import dev.etlab.data.CopyTask;
import dev.etlab.data.Task;
import dev.etlab.io.Checkpoint;
import dev.etlab.io.ConfigCodec;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import dev.etlab.tensor.Ops;
import dev.etlab.tensor.SdOps;
import dev.etlab.train.History;
import dev.etlab.train.TrainConfig;
import dev.etlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SparseTransformerTest {
    static final int D = 8, H = 2;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** Every pattern the tests sweep: both factorizations, given and length-following strides. */
    static List<Config> configs() {
        return List.of(Config.strided(3), Config.strided(4), Config.stridedSqrtLength(),
            Config.fixed(4, 1), Config.fixed(3, 2), Config.fixed(5, 2), Config.fixedSqrtLength(2));
    }

    static Set<Integer> allowedKeys(Config c, int i, int n, boolean causal) {
        Set<Integer> keys = new TreeSet<>();
        for (int j = 0; j < n; j++) if (c.matrix(n, causal)[i][j]) keys.add(j);
        return keys;
    }

    @Test
    void patternsAreThePapersFactorizations() {
        // strided, l = 4 (Section 4.3): A(1) = {max(0, i − l), …, i}, A(2) = {j : (i − j) mod l = 0}
        assertEquals(Set.of(2, 6, 7, 8, 9, 10), allowedKeys(Config.strided(4), 10, 16, true));
        assertEquals(Set.of(0, 1, 2, 3), allowedKeys(Config.strided(4), 3, 16, true));
        // fixed, l = 4, c = 1: A(1) = the query's block, A(2) = {j : j mod 4 = 3}
        assertEquals(Set.of(3, 7, 8, 9, 10), allowedKeys(Config.fixed(4, 1), 10, 16, true));
        assertEquals(Set.of(2, 3, 6, 7, 8), allowedKeys(Config.fixed(4, 2), 8, 16, true));
        // bidirectional (our symmetric extension): both sides
        assertEquals(Set.of(2, 6, 7, 8, 9, 10, 11, 12, 13, 14), allowedKeys(Config.strided(4), 10, 16, false));
        assertEquals(Set.of(3, 7, 8, 9, 10, 11, 15), allowedKeys(Config.fixed(4, 1), 10, 16, false));
        // l follows the length: ⌈√16⌉ = 4, ⌈√17⌉ = 5, and never below the summary length c
        assertEquals(4, Config.stridedSqrtLength().strideFor(16));
        assertEquals(5, Config.stridedSqrtLength().strideFor(17));
        assertEquals(1, Config.stridedSqrtLength().strideFor(1));
        assertEquals(6, Config.fixedSqrtLength(6).strideFor(16));
    }

    @Test
    void allowedPairsCountedWithoutTheMatrixEqualTheMatrixCount() {
        for (Config c : configs())
            for (boolean causal : new boolean[] {true, false})
                for (int n = 1; n <= 23; n++) {
                    long expected = 0;
                    for (boolean[] row : c.matrix(n, causal)) for (boolean b : row) if (b) expected++;
                    assertEquals(expected, c.allowedPairs(n, causal), c.describe() + " causal=" + causal + " n=" + n);
                }
        // and the pattern is sparse: at n = 4096 with l = ⌈√n⌉ = 64, about 1.5·n√n causal pairs of n²/2
        long pairs = Config.stridedSqrtLength().allowedPairs(4096, true);
        assertTrue(pairs > 4096L * 64 && pairs < 2L * 4096 * 64, "pairs " + pairs);
    }

    /** The sparse layer and the dense-mask oracle with the same projections. */
    static INDArray[] sparseAndDense(Config c, int n, boolean causal, INDArray x, INDArray pad, ParamStore p) {
        AttentionDims dims = new AttentionDims(D, H, n, causal);
        INDArray sparse = c.build(dims).forward(p, "a.", x, pad);
        INDArray dense = new DenseMaskAttention.Config(c).build(dims).forward(p, "a.", x, pad);
        return new INDArray[] {sparse, dense};
    }

    static ParamStore params(long seed) {
        ParamStore p = new ParamStore(DataType.DOUBLE, seed);
        new StandardAttention.Config().build(new AttentionDims(D, H, 4, false)).declare(p, "a.");
        return p;
    }

    /** 1 for tokens, 0 for padding: item 0 has none, item 1 some in the middle and at the end. */
    static INDArray padding(int n) {
        INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, n);
        pad.putScalar(1, n / 2, 0.0);
        pad.putScalar(1, n - 1, 0.0);
        pad.putScalar(1, n - 2, 0.0);
        return pad;
    }

    /** Rows whose query is padding attend to nothing real; the oracle and the layer may differ there. */
    static double diffOnRealQueries(INDArray a, INDArray b, INDArray pad) {
        INDArray keep = pad == null ? Nd4j.ones(DataType.DOUBLE, a.size(0), a.size(1)) : pad;
        INDArray mask = keep.reshape(keep.size(0), keep.size(1), 1);
        return TestData.maxAbsDiff(a.mul(mask), b.mul(mask));
    }

    @Test
    void equalsTheDenseMaskOracleForRaggedLengthsAndPadding() {
        ParamStore p = params(1);
        for (Config c : configs())
            for (boolean causal : new boolean[] {true, false})
                for (int n : new int[] {5, 7, 12, 13, 16}) {
                    if (c.strideRule() == SparseTransformer.StrideRule.GIVEN && c.stride() > n) continue;
                    INDArray x = TestData.normal(n, DataType.DOUBLE, 2, n, D);
                    for (INDArray pad : new INDArray[] {null, padding(n)}) {
                        INDArray[] out = sparseAndDense(c, n, causal, x, pad, p);
                        double diff = diffOnRealQueries(out[0], out[1], pad);
                        assertTrue(diff < 1e-12, c.describe() + " causal=" + causal + " n=" + n + " padded=" + (pad != null)
                            + ": differs from the dense mask by " + diff);
                    }
                }
    }

    /** Gradients of Σ f(x) ⊙ R with respect to every parameter and the input, from the SameDiff graph. */
    static Map<String, INDArray> gradients(Attention a, ParamStore p, INDArray x, INDArray pad, INDArray r, MaxArrayListener listener) {
        SameDiff sd = SameDiff.create();
        SdOps g = new SdOps(sd, p, DataType.DOUBLE, false);
        SDVariable xv = sd.var("x", x.dup());
        g.track(xv, x.shape());
        SDVariable out = a.apply(g, "a.", xv, pad == null ? null : g.constant(pad));
        SDVariable loss = sd.sum(out.mul(sd.constant(r)));
        loss.markAsLoss();
        if (listener != null) sd.setListeners(listener);
        List<String> wrt = new ArrayList<>(g.paramNames());
        wrt.add("x");
        return Lab.withoutGraphChatter(() -> sd.calculateGradients(Map.of(), wrt));
    }

    @Test
    void gradientsEqualTheDenseMaskOracle() {
        ParamStore p = params(2);
        for (Config c : List.of(Config.strided(3), Config.stridedSqrtLength(), Config.fixed(4, 1), Config.fixedSqrtLength(2)))
            for (boolean causal : new boolean[] {true, false}) {
                int n = 11;
                AttentionDims dims = new AttentionDims(D, H, n, causal);
                INDArray x = TestData.normal(3, DataType.DOUBLE, 2, n, D), pad = padding(n);
                INDArray r = TestData.normal(4, DataType.DOUBLE, 2, n, D).mul(pad.reshape(2, n, 1)); // loss on real queries
                Map<String, INDArray> sparse = gradients(c.build(dims), p, x, pad, r, null);
                Map<String, INDArray> dense = gradients(new DenseMaskAttention.Config(c).build(dims), p, x, pad, r, null);
                assertEquals(dense.keySet(), sparse.keySet());
                for (String name : dense.keySet()) {
                    double diff = TestData.maxAbsDiff(sparse.get(name), dense.get(name));
                    assertTrue(diff < 1e-10, c.describe() + " causal=" + causal + ": gradient of " + name + " differs by " + diff);
                }
            }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        // with padding; the contract test checks the registered default (fixed, l = ⌈√n⌉, c = 2) without
        for (Config c : List.of(Config.strided(3), Config.fixed(3, 1)))
            for (boolean causal : new boolean[] {true, false}) {
                Attention a = c.build(new AttentionDims(D, H, 10, causal));
                ParamStore p = params(5);
                INDArray pad = padding(10);
                GradientCheck.Result r = new GradientCheck().check(p, TestData.normal(6, DataType.DOUBLE, 2, 10, D), new GradientCheck.Fn() {
                    @Override
                    public <T> T apply(Ops<T> ops, T x) {
                        return a.apply(ops, "a.", x, ops.constant(pad));
                    }
                }, 7);
                assertTrue(r.passed(), c.describe() + " causal=" + causal + ": " + r);
                assertTrue(r.checked() > 50, "enough elements checked: " + r);
            }
    }

    @Test
    void settingsThatAllowEveryKeyAreStandardAttention() {
        ParamStore p = params(8);
        int n = 13;
        INDArray x = TestData.normal(9, DataType.DOUBLE, 2, n, D);
        for (boolean causal : new boolean[] {true, false}) {
            AttentionDims dims = new AttentionDims(D, H, n, causal);
            INDArray standard = new StandardAttention.Config().build(dims).forward(p, "a.", x, null);
            // strided with l = n: A(1) = {max(0, i − n), …, i} is every earlier key; fixed with c = l: every position summarises
            for (Config c : List.of(Config.strided(n), Config.fixed(4, 4), Config.fixed(n, 1))) {
                double diff = TestData.maxAbsDiff(standard, c.build(dims).forward(p, "a.", x, null));
                assertTrue(diff < 1e-12, c.describe() + " causal=" + causal + ": differs from standard attention by " + diff);
                assertEquals((long) n * (causal ? n + 1 : 2 * n) / 2, c.allowedPairs(n, causal), c.describe());
            }
            // and a pattern that is sparse at this length is not: the comparison can fail
            double sparse = TestData.maxAbsDiff(standard, Config.strided(3).build(dims).forward(p, "a.", x, null));
            assertTrue(sparse > 1e-3, "strided l=3 should differ from standard attention, differs by " + sparse);
        }
    }

    /** The largest array any op of a SameDiff run produces, forward and backward. */
    static final class MaxArrayListener extends BaseListener {
        long largest;
        String op;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp o, OpContext ctx, INDArray[] outputs) {
            for (INDArray out : outputs)
                if (out != null && out.length() > largest) {
                    largest = out.length();
                    op = o.getName() + " " + java.util.Arrays.toString(out.shape());
                }
        }
    }

    @Test
    void noArrayOfTheForwardOrBackwardPassHasNSquaredElements() {
        int n = 400;                                           // l = 20, 20 blocks
        INDArray x = TestData.normal(10, DataType.DOUBLE, 1, n, D), r = TestData.normal(11, DataType.DOUBLE, 1, n, D);
        ParamStore p = params(12);
        long perHead = (long) n * n * H;                      // what one (n × n) score matrix per head holds
        for (Config c : List.of(Config.stridedSqrtLength(), Config.fixedSqrtLength(2)))
            for (boolean causal : new boolean[] {true, false}) {
                AttentionDims dims = new AttentionDims(D, H, n, causal);
                MaxArrayListener sparse = new MaxArrayListener(), dense = new MaxArrayListener();
                gradients(c.build(dims), p, x, null, r, sparse);
                gradients(new DenseMaskAttention.Config(c).build(dims), p, x, null, r, dense);
                // the oracle does build n × n scores (so the listener sees them); the blockwise layer stays O(n√n)
                assertTrue(dense.largest >= perHead, "dense mask: largest array " + dense.op);
                assertTrue(sparse.largest <= perHead / 4, c.describe() + " causal=" + causal + ": largest array " + sparse.op
                    + " (" + sparse.largest + " elements; n² per head is " + perHead + ")");
            }
    }

    @Test
    void trainsInsideAModelAndSurvivesACheckpointRoundTrip(@TempDir Path dir) {
        Config c = Config.fixed(8, 2);
        assertEquals(c, ConfigCodec.decode(ConfigCodec.encode(c, AttentionConfig.class), AttentionConfig.class));
        Task task = CopyTask.copy(32, 1);
        ModelConfig model = task.smallModel().withWidth(16, 2, 32).withAttention(c);
        TransformerModel m = TransformerModel.create(model, 1), untrained = TransformerModel.create(model, 1);
        INDArray tokens = TestData.tokens(2, task.vocabSize(), 2, 32);
        INDArray before = untrained.logits(tokens);
        assertEquals(List.of(2L, 32L, (long) task.vocabSize()), java.util.Arrays.stream(before.shape()).boxed().toList());

        History h = new Trainer(m, task, TrainConfig.defaults().withSteps(4).withBatchSize(4)).fit();
        double[] loss = h.column(History.LOSS);
        assertEquals(4, loss.length);
        assertTrue(java.util.Arrays.stream(loss).allMatch(Double::isFinite), "finite losses " + java.util.Arrays.toString(loss));
        INDArray trained = m.logits(tokens);
        double moved = TestData.maxAbsDiff(before, trained);
        assertTrue(moved > 1e-4, "4 training steps should change the logits (moved by " + moved + ")");

        Path file = dir.resolve("sparse.ckpt");
        Checkpoint.save(m, file);
        TransformerModel loaded = Checkpoint.load(file);
        assertEquals(model, loaded.config());
        assertEquals(c, loaded.config().attention(), "the sparse pattern comes back from the checkpoint");
        assertEquals(0.0, TestData.maxAbsDiff(trained, loaded.logits(tokens)), "the loaded model gives the trained model's logits");
    }

    @Test
    void badSettingsAreRefusedWithTheReason() {
        assertEquals("stride = 0: expected a block length l of at least 1 (the paper uses 128; l ≈ √n for O(n√n))",
            assertThrows(IllegalArgumentException.class, () -> Config.strided(0)).getMessage());
        assertEquals("stride = -3: expected a block length l of at least 1 (the paper uses 128; l ≈ √n for O(n√n))",
            assertThrows(IllegalArgumentException.class, () -> Config.fixed(-3, 1)).getMessage());
        assertEquals("summary = 0: expected c in [1, stride = 8]: the summary positions at the end of each block (the paper: 8 to 32)",
            assertThrows(IllegalArgumentException.class, () -> Config.fixed(8, 0)).getMessage());
        assertEquals("summary = 9: expected c in [1, stride = 8]: the summary positions at the end of each block (the paper: 8 to 32)",
            assertThrows(IllegalArgumentException.class, () -> Config.fixed(8, 9)).getMessage());
        assertEquals("summary = 2: expected 0: the strided pattern has no summary positions",
            assertThrows(IllegalArgumentException.class, () -> new Config(SparseTransformer.Pattern.STRIDED,
                SparseTransformer.StrideRule.GIVEN, 4, 2)).getMessage());
        assertEquals("pattern = null: expected one of [STRIDED, FIXED]",
            assertThrows(IllegalArgumentException.class, () -> new Config(null, SparseTransformer.StrideRule.GIVEN, 4, 0)).getMessage());
        assertEquals("strideRule = null: expected one of [GIVEN, SQRT_LENGTH]",
            assertThrows(IllegalArgumentException.class, () -> new Config(SparseTransformer.Pattern.FIXED, null, 4, 1)).getMessage());
        assertEquals("stride = 20: expected at most maxLen = 16 (a stride of the whole length already allows every pair)",
            assertThrows(IllegalArgumentException.class, () -> Config.strided(20).build(new AttentionDims(D, H, 16, true))).getMessage());
        // and at run time the common checks apply (length above maxLen, shapes), as for every mechanism
        Attention a = Config.strided(4).build(new AttentionDims(D, H, 16, true));
        ParamStore p = params(13);
        assertEquals("sequence length = 17: expected at most maxLen = 16",
            assertThrows(IllegalArgumentException.class, () -> a.forward(p, "a.", Nd4j.zeros(DataType.DOUBLE, 1, 17, D), null)).getMessage());
    }

    @Test
    void describesItselfForLegends() {
        assertEquals("strided, l = ⌈√n⌉", Config.stridedSqrtLength().describe());
        assertEquals("fixed, l = 128, c = 32", Config.fixed(128, 32).describe());
        assertEquals("fixed, l = max(8, ⌈√n⌉), c = 8", Config.fixedSqrtLength(8).describe());
        assertEquals("sparse transformer", Config.strided(4).kind());
        assertEquals("sparse transformer (dense mask)", new DenseMaskAttention.Config(Config.strided(4)).kind());
    }

    @Test
    void outputsBeforeAPositionDoNotDependOnLaterInputsAtAnyBlockBoundary() {
        // beyond the contract test's single cut: every cut position, so each block boundary and padding case is covered
        ParamStore p = params(14);
        int n = 11;
        for (Config c : List.of(Config.strided(3), Config.fixed(4, 2))) {
            Attention a = c.build(new AttentionDims(D, H, n, true));
            INDArray x = TestData.normal(15, DataType.DOUBLE, 1, n, D);
            INDArray base = a.forward(p, "a.", x, null);
            for (int cut = 1; cut < n; cut++) {
                INDArray changed = x.dup();
                changed.get(NDArrayIndex.all(), NDArrayIndex.interval(cut, n), NDArrayIndex.all()).addi(1.0);
                INDArray y = a.forward(p, "a.", changed, null);
                double diff = TestData.maxAbsDiff(base.get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut), NDArrayIndex.all()),
                    y.get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut), NDArrayIndex.all()));
                assertTrue(diff < 1e-12, c.describe() + ": position < " + cut + " changed by " + diff);
            }
        }
    }
}
