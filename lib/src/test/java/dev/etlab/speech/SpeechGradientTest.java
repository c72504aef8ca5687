package dev.etlab.speech;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.GradientCheck;
import dev.etlab.nn.ParamStore;
import dev.etlab.tensor.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference gradient checks (SameDiff graph and tape against central differences, float64) for every Conformer layer. */
class SpeechGradientTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static void assertGradientsMatch(ParamStore p, INDArray x, GradientCheck.Fn fn, int perArray) {
        GradientCheck.Result r = new GradientCheck(1e-6, 1e-5, 1e-8, perArray).check(p, x, fn, 99);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() >= 10, "too few elements checked: " + r);
    }

    static INDArray input(long seed, long... shape) {
        return TestData.normal(seed, DataType.DOUBLE, shape);
    }

    @Test
    void swish() {
        assertGradientsMatch(new ParamStore(DataType.DOUBLE, 1), input(1, 2, 3, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return Swish.apply(ops, x); }
        }, 24);
    }

    @Test
    void glu() {
        assertGradientsMatch(new ParamStore(DataType.DOUBLE, 1), input(2, 2, 3, 6), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return Glu.apply(ops, x); }
        }, 36);
    }

    @Test
    void depthwiseConvSameAndCausal() {
        for (DepthwiseConv1d conv : new DepthwiseConv1d[] {
            new DepthwiseConv1d("dw.", 3, 5, false), new DepthwiseConv1d("dw.", 3, 4, true)}) {
            ParamStore p = new ParamStore(DataType.DOUBLE, 3);
            conv.declare(p);
            p.assign("dw.b", input(4, 3));
            assertGradientsMatch(p, input(5, 2, 6, 3), new GradientCheck.Fn() {
                public <T> T apply(Ops<T> ops, T x) { return conv.apply(ops, x); }
            }, 15);
        }
    }

    @Test
    void pointwiseConv() {
        PointwiseConv pw = new PointwiseConv("pw.", 4, 6);
        ParamStore p = new ParamStore(DataType.DOUBLE, 6);
        pw.declare(p);
        assertGradientsMatch(p, input(7, 2, 3, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return pw.apply(ops, x); }
        }, 12);
    }

    /** Training mode: the gradient flows through the batch mean and variance too. */
    @Test
    void batchNormTrainingMode() {
        ParamStore p = batchNormStore();
        BatchNorm1d bn = new BatchNorm1d("bn.", 4);
        assertGradientsMatch(p, input(8, 2, 3, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return bn.apply(ops, x, true); }
        }, 24);
    }

    /** Evaluation mode: the running statistics are constants (buffers), only the affine map and x get gradients. */
    @Test
    void batchNormEvaluationMode() {
        ParamStore p = batchNormStore();
        BatchNorm1d bn = new BatchNorm1d("bn.", 4);
        assertGradientsMatch(p, input(9, 2, 3, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return bn.apply(ops, x, false); }
        }, 24);
    }

    private static ParamStore batchNormStore() {
        ParamStore p = new ParamStore(DataType.DOUBLE, 10);
        new BatchNorm1d("bn.", 4).declare(p);
        p.assign("bn.gain", input(11, 4).addi(1));
        p.assign("bn.bias", input(12, 4));
        p.assign("bn.running_mean", input(13, 4));
        p.assign("bn.running_var", input(14, 4).muli(input(14, 4)).addi(0.5));
        return p;
    }

    @Test
    void convolutionModuleBothModes() {
        for (boolean training : new boolean[] {true, false}) {
            ConvolutionModule conv = new ConvolutionModule("conv.", 4, 3, 0.1, false);
            ParamStore p = new ParamStore(DataType.DOUBLE, 15);
            conv.declare(p);
            p.assign("conv.bn.running_var", input(16, 4).muli(input(16, 4)).addi(0.5));
            assertGradientsMatch(p, input(17, 2, 5, 4), new GradientCheck.Fn() {
                public <T> T apply(Ops<T> ops, T x) { return conv.apply(ops, x, training); }
            }, 8);
        }
    }

    /** Padded frames zeroed before the depthwise convolution: their inputs get no gradient through it. */
    @Test
    void convolutionModuleWithFramePadding() {
        ConvolutionModule conv = new ConvolutionModule("conv.", 4, 3, 0.0, false);
        ParamStore p = new ParamStore(DataType.DOUBLE, 31);
        conv.declare(p);
        INDArray padding = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        assertGradientsMatch(p, input(32, 2, 5, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return conv.apply(ops, x, ops.constant(padding), true); }
        }, 8);
    }

    @Test
    void feedForwardModule() {
        FeedForwardModule ffn = new FeedForwardModule("ffn.", 4, 8, 0.1);
        ParamStore p = new ParamStore(DataType.DOUBLE, 18);
        ffn.declare(p);
        assertGradientsMatch(p, input(19, 2, 3, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return ffn.apply(ops, x); }
        }, 8);
    }

    @Test
    void relativeSelfAttention() {
        RelativeSelfAttention attn = new RelativeSelfAttention("attn.", 4, 2);
        ParamStore p = new ParamStore(DataType.DOUBLE, 20);
        attn.declare(p);
        p.assign("attn.u", input(21, 2, 2));
        p.assign("attn.v", input(22, 2, 2));
        assertGradientsMatch(p, input(23, 2, 4, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return attn.apply(ops, x, null); }
        }, 6);
    }

    @Test
    void conformerBlock() {
        ConformerBlock block = new ConformerBlock("b.", 4, 2, 8, 3, 0.1);
        ParamStore p = new ParamStore(DataType.DOUBLE, 24);
        block.declare(p);
        assertGradientsMatch(p, input(25, 2, 4, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return block.apply(ops, x, null, true); }
        }, 4);
        INDArray padding = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});
        assertGradientsMatch(p, input(33, 2, 4, 4), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return block.apply(ops, x, ops.constant(padding), false); }
        }, 4);
    }

    @Test
    void convSubsampling() {
        ConvSubsampling sub = new ConvSubsampling("sub.", 7, 2, 3);
        ParamStore p = new ParamStore(DataType.DOUBLE, 26);
        sub.declare(p);
        p.assign("sub.conv1.b", input(27, 2).muli(0.1));
        p.assign("sub.conv2.b", input(28, 2).muli(0.1));
        assertGradientsMatch(p, input(29, 2, 9, 7), new GradientCheck.Fn() {
            public <T> T apply(Ops<T> ops, T x) { return sub.apply(ops, x); }
        }, 8);
    }
}
