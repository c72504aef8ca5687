package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.TransformerXL.Memory;
import dev.etlab.tensor.Ops;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Transformer-XL's segment-level recurrence: segments with memory = one long sequence, memory length, gradients, bad input. */
class TransformerXLTest {
    static final int V = 11;

    @BeforeAll
    static void init() {
        Lab.init();
    }

    static TransformerXLConfig small(int segmentLength, int memoryLength) {
        return new TransformerXLConfig(V, segmentLength, memoryLength, 2, 2, 8, 16, 0.0, true);
    }

    static INDArray columns(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
    }

    static INDArray positions(INDArray logits, long from, long to) {
        return logits.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    @Test
    void segmentsReadWithAWholeMemoryEqualTheWholeSequenceAndAShortMemoryDoesNot() {
        TransformerXL model = TransformerXL.create(small(15, 10), 1, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(2, V, 2, 15);
        INDArray whole = model.step(tokens, Memory.none(), 0).logits();
        Memory memory = Memory.none();
        for (int s = 0; s < 3; s++) {
            TransformerXL.Step step = model.step(columns(tokens, 5 * s, 5 * s + 5), memory, 10);
            assertTrue(TestData.maxAbsDiff(positions(whole, 5 * s, 5 * s + 5), step.logits()) < 1e-10, "segment " + s);
            memory = step.memory();
            assertEquals(Math.min(10, 5 * (s + 1)), memory.length());
            assertEquals(2, memory.layers().size());
        }
        // a memory of 5 forgets the first segment: the third segment's predictions change
        Memory shortMemory = Memory.none();
        INDArray third = null;
        for (int s = 0; s < 3; s++) {
            TransformerXL.Step step = model.step(columns(tokens, 5 * s, 5 * s + 5), shortMemory, 5);
            shortMemory = step.memory();
            third = step.logits();
        }
        assertTrue(TestData.maxAbsDiff(positions(whole, 10, 15), third) > 1e-6, "a shorter memory sees less");
    }

    @Test
    void theMemoryKeepsTheLastStatesOfEachLayerInput() {
        TransformerXL model = TransformerXL.create(small(6, 4), 3, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(4, V, 2, 6);
        TransformerXL.Output<INDArray> out = model.forward(dev.etlab.tensor.NdOps.of(model.params(), DataType.DOUBLE), tokens, null);
        Memory m = model.step(tokens, Memory.none()).memory();
        for (int l = 0; l < 2; l++) {
            assertEquals(0.0, TestData.maxAbsDiff(positions(out.hiddens().get(l), 2, 6), m.layers().get(l)));
        }
        // the layer-0 input is the token embedding, whatever came before
        INDArray embedding = Nd4j.zeros(DataType.DOUBLE, 2, 4, 8);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 4; i++) embedding.get(NDArrayIndex.point(b), NDArrayIndex.point(i), NDArrayIndex.all())
                .assign(model.params().get("embed.weight").getRow(tokens.getInt(b, i + 2)));
        assertEquals(0.0, TestData.maxAbsDiff(embedding, m.layers().get(0)));
        assertTrue(model.step(tokens, Memory.none(), 0).memory().isEmpty());
    }

    @Test
    void gradientsWithMemoryMatchFiniteDifferences() {
        TransformerXL model = TransformerXL.create(small(4, 3), 5, DataType.DOUBLE);
        INDArray first = TestData.tokens(6, V, 2, 4), tokens = TestData.tokens(7, V, 2, 4);
        List<INDArray> memory = model.step(first, Memory.none(), 3).memory().layers();
        GradientCheck.Result r = new GradientCheck().check(model.params(), tokens, new GradientCheck.Fn() {
            @Override
            public <T> T apply(Ops<T> ops, T x) {
                return model.forward(ops, x, memory.stream().map(ops::constant).toList()).logits();
            }
        }, 8);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.checked() > 300, "every parameter array checked: " + r);
    }

    @Test
    void badConfigsSegmentsAndMemoriesAreRejectedWithAMessageNamingThem() {
        var negative = assertThrows(IllegalArgumentException.class, () -> small(8, -1));
        assertEquals("memoryLength = -1: expected 0 (no recurrence) or a positive number of kept states", negative.getMessage());
        var heads = assertThrows(IllegalArgumentException.class, () -> new TransformerXLConfig(V, 8, 4, 2, 3, 8, 16, 0, true));
        assertEquals("heads = 3: expected a divisor of dModel = 8", heads.getMessage());
        TransformerXL model = TransformerXL.create(small(8, 4), 9, DataType.FLOAT);
        var tooLong = assertThrows(IllegalArgumentException.class, () -> model.step(TestData.tokens(1, V, 2, 9), Memory.none()));
        assertEquals("segment length = 9: expected at most segmentLength = 8 (longer text goes in as several segments)", tooLong.getMessage());
        var ids = assertThrows(IllegalArgumentException.class, () -> model.step(Nd4j.createFromArray(new int[][] {{1, V}}), Memory.none()));
        assertEquals("tokens = ids from 1 to 11: expected ids in [0, vocabSize = 11)", ids.getMessage());
        var floats = assertThrows(IllegalArgumentException.class, () -> model.step(Nd4j.zeros(DataType.FLOAT, 2, 4), Memory.none()));
        assertEquals("tokens = array of type FLOAT: expected integer token ids", floats.getMessage());
        var length = assertThrows(IllegalArgumentException.class, () -> model.step(TestData.tokens(1, V, 2, 4), Memory.none(), -2));
        assertEquals("memoryLength = -2: expected 0 (no memory) or a positive number of kept states", length.getMessage());
        Memory two = model.step(TestData.tokens(2, V, 2, 4), Memory.none()).memory();
        var batch = assertThrows(IllegalArgumentException.class, () -> model.step(TestData.tokens(3, V, 3, 4), two));
        assertEquals("memory = array of shape [2, 4, 8]: expected shape (3, 4, 8): the tokens' batch, one length for all layers, dModel",
            batch.getMessage());
        var layers = assertThrows(IllegalArgumentException.class, () -> model.step(TestData.tokens(3, V, 2, 4), new Memory(two.layers().subList(0, 1))));
        assertEquals("memory = 1 layers: expected 2, one per block", layers.getMessage());
        var type = assertThrows(IllegalArgumentException.class, () -> model.step(TestData.tokens(3, V, 2, 4),
            new Memory(two.layers().stream().map(m -> m.castTo(DataType.DOUBLE)).toList())));
        assertEquals("memory = array of type DOUBLE: expected the parameters' FLOAT", type.getMessage());
    }
}
