package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.attention.AttentionDims;
import dev.etlab.attention.StandardAttention;
import dev.etlab.data.ListOps;
import dev.etlab.tensor.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference gradient checks for every layer, the losses and whole models. */
class LayerGradientTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static void assertGradientsMatch(ParamStore p, INDArray x, GradientCheck.Fn fn) {
        assertGradientsMatch(p, x, fn, 12);
    }

    /** Whole models re-run the eager forward twice per checked element: check fewer per array. */
    static void assertGradientsMatch(ParamStore p, INDArray x, GradientCheck.Fn fn, int perArray) {
        GradientCheck.Result r = new GradientCheck(1e-6, 1e-5, 1e-8, perArray).check(p, x, fn, 99);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() >= 10, "too few elements checked: " + r);
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm("ln.", 6);
        ParamStore p = new ParamStore(DataType.DOUBLE, 1);
        ln.declare(p);
        p.assign("ln.gain", TestData.normal(2, DataType.DOUBLE, 6)); // not all ones, so the gain's gradient matters
        assertGradientsMatch(p, TestData.normal(3, DataType.DOUBLE, 2, 3, 6), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return ln.apply(ops, x); }
        });
    }

    @Test
    void feedForwardWithGelu() {
        FeedForward ffn = new FeedForward("ffn.", 6, 10);
        ParamStore p = new ParamStore(DataType.DOUBLE, 4);
        ffn.declare(p);
        assertGradientsMatch(p, TestData.normal(5, DataType.DOUBLE, 2, 3, 6), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return ffn.apply(ops, x); }
        });
    }

    @Test
    void preLayerNormBlockCausalAndBidirectional() {
        for (boolean causal : new boolean[] {true, false}) {
            var attn = new StandardAttention.Config().build(new AttentionDims(8, 2, 5, causal));
            TransformerBlock block = new TransformerBlock("b.", attn, new FeedForward("b.ffn.", 8, 16), 0.0);
            ParamStore p = new ParamStore(DataType.DOUBLE, 6);
            block.declare(p);
            assertGradientsMatch(p, TestData.normal(7, DataType.DOUBLE, 2, 5, 8), new GradientCheck.Fn() {
                public <T> T apply(Ops<T> ops, T x) { return block.apply(ops, x, null); }
            }, 6);
        }
    }

    @Test
    void embeddingAndLearnedPositions() {
        Embedding emb = new Embedding("e.", 7, 6);
        ParamStore p = new ParamStore(DataType.DOUBLE, 8);
        emb.declare(p);
        Positions.LEARNED.declare(p, "pos.", 5, 6);
        assertGradientsMatch(p, TestData.tokens(9, 7, 2, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T tokens) { return Positions.LEARNED.apply(ops, "pos.", emb.apply(ops, tokens)); }
        });
    }

    @Test
    void wholeLanguageModelThroughItsLoss() {
        ModelConfig c = ModelConfig.languageModel(9, 6).withWidth(8, 2, 12).withPositions(Positions.LEARNED);
        TransformerModel m = TransformerModel.create(c, 10, DataType.DOUBLE);
        INDArray targets = TestData.tokens(11, 9, 2, 6);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 6);
        mask.putScalar(0, 0, 0.0);
        assertGradientsMatch(m.params(), TestData.tokens(12, 9, 2, 6), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T tokens) {
                return Losses.languageModelling(ops, m.logits(ops, tokens, null), ops.constant(targets), ops.constant(mask));
            }
        }, 3);
    }

    @Test
    void wholeClassifierWithPaddingThroughItsLoss() {
        for (Pooling pooling : Pooling.values()) {
            ModelConfig c = ModelConfig.classifier(ListOps.of(8, 1).vocabSize(), 10, 8).withWidth(8, 2, 12).withPooling(pooling);
            TransformerModel m = TransformerModel.create(c, 13, DataType.DOUBLE);
            INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, 8);
            pad.putScalar(1, 7, 0.0);
            pad.putScalar(1, 6, 0.0);
            INDArray labels = Nd4j.createFromArray(3, 7);
            assertGradientsMatch(m.params(), TestData.tokens(14, 17, 2, 8), new GradientCheck.Fn() {
                public <T> T apply(Ops<T> ops, T tokens) {
                    return Losses.classification(ops, m.logits(ops, tokens, ops.constant(pad)), ops.constant(labels));
                }
            }, 3);
        }
    }
}
