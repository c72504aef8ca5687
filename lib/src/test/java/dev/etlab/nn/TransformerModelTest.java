package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.attention.StandardAttention;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TransformerModelTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void languageModelLogitsHaveShapeBTVAndIgnoreFutureTokens() {
        TransformerModel m = TransformerModel.create(ModelConfig.languageModel(11, 12), 1, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(2, 11, 2, 12);
        INDArray logits = m.logits(tokens);
        assertArrayEquals(new long[] {2, 12, 11}, logits.shape());
        INDArray changed = tokens.dup();
        changed.putScalar(0, 9, (tokens.getInt(0, 9) + 1) % 11);
        INDArray after = m.logits(changed);
        INDArray past = logits.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 9), NDArrayIndex.all());
        assertTrue(TestData.maxAbsDiff(past, after.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 9), NDArrayIndex.all())) < 1e-12,
            "logits before position 9 changed when token 9 changed");
        assertTrue(TestData.maxAbsDiff(logits.get(NDArrayIndex.point(0), NDArrayIndex.point(9)), after.get(NDArrayIndex.point(0), NDArrayIndex.point(9))) > 1e-6,
            "position 9's own logits must change");
    }

    @Test
    void classifierIgnoresPaddedTokens() {
        TransformerModel m = TransformerModel.create(ModelConfig.classifier(11, 3, 10), 3, DataType.DOUBLE);
        INDArray tokens = TestData.tokens(4, 11, 2, 10);
        INDArray pad = Nd4j.ones(DataType.DOUBLE, 2, 10);
        pad.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 10)).assign(0);
        INDArray changed = tokens.dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 10)).assign(5);
        INDArray a = m.logits(tokens, pad), b = m.logits(changed, pad);
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertTrue(TestData.maxAbsDiff(a, b) < 1e-12, "class logits changed when only padding changed");
        assertTrue(TestData.maxAbsDiff(a, m.logits(changed)) > 1e-9, "without the mask the same change must matter");
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferentWeights() {
        ModelConfig c = ModelConfig.languageModel(11, 8);
        INDArray t = TestData.tokens(5, 11, 1, 8);
        assertEquals(0.0, TestData.maxAbsDiff(TransformerModel.create(c, 7).logits(t), TransformerModel.create(c, 7).logits(t)));
        assertTrue(TestData.maxAbsDiff(TransformerModel.create(c, 7).logits(t), TransformerModel.create(c, 8).logits(t)) > 1e-4);
    }

    @Test
    void badInputsNameTheParameterTheValueAndTheExpectation() {
        TransformerModel m = TransformerModel.create(ModelConfig.languageModel(11, 8), 1);
        var tooLong = assertThrows(IllegalArgumentException.class, () -> m.logits(TestData.tokens(1, 11, 1, 9)));
        assertEquals("sequence length = 9: expected at most maxLen = 8", tooLong.getMessage());
        INDArray bad = Nd4j.zeros(DataType.INT, 1, 8);
        bad.putScalar(0, 3, 11);
        var range = assertThrows(IllegalArgumentException.class, () -> m.logits(bad));
        assertEquals("tokens = ids from 0 to 11: expected ids in [0, vocabSize = 11)", range.getMessage());
        var rank = assertThrows(IllegalArgumentException.class, () -> m.logits(Nd4j.createFromArray(1, 2, 3)));
        assertTrue(rank.getMessage().startsWith("tokens = array of shape [3]: expected rank 2"), rank.getMessage());
        var floats = assertThrows(IllegalArgumentException.class, () -> m.logits(Nd4j.zeros(DataType.FLOAT, 1, 4)));
        assertEquals("tokens = array of type FLOAT: expected integer token ids", floats.getMessage());
        var pad = assertThrows(IllegalArgumentException.class, () -> m.logits(TestData.tokens(1, 11, 2, 8), Nd4j.ones(2, 7)));
        assertTrue(pad.getMessage().startsWith("padMask = array of shape [2, 7]: expected the tokens' shape [2, 8]"), pad.getMessage());
    }

    @Test
    void emptyBatchesAndSequencesAreRejectedBeforeTheyReachNativeCode() {
        TransformerModel m = TransformerModel.create(ModelConfig.languageModel(11, 8), 1);
        var noLength = assertThrows(IllegalArgumentException.class, () -> m.logits(Nd4j.zeros(DataType.INT, 1, 0), null));
        assertEquals("tokens = array of shape [1, 0]: expected at least one batch item and one position (batch ≥ 1, length ≥ 1)",
            noLength.getMessage());
        var noBatch = assertThrows(IllegalArgumentException.class, () -> m.logits(Nd4j.zeros(DataType.INT, 0, 4)));
        assertEquals("tokens = array of shape [0, 4]: expected at least one batch item and one position (batch ≥ 1, length ≥ 1)",
            noBatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.attentionMaps(Nd4j.zeros(DataType.INT, 1, 0), null));
    }

    @Test
    void padMasksMustHoldOnlyZerosAndOnesAndATokenInEveryRow() {
        TransformerModel m = TransformerModel.create(ModelConfig.classifier(11, 3, 10), 3);
        INDArray tokens = TestData.tokens(4, 11, 2, 10);
        INDArray allPadded = Nd4j.ones(DataType.FLOAT, 2, 10);
        allPadded.getRow(1).assign(0);
        var empty = assertThrows(IllegalArgumentException.class, () -> m.logits(tokens, allPadded));
        assertEquals("padMask = row 1 all zero: expected at least one token per batch item", empty.getMessage());
        INDArray half = Nd4j.ones(DataType.FLOAT, 2, 10);
        half.putScalar(0, 4, 0.5);
        var notBinary = assertThrows(IllegalArgumentException.class, () -> m.logits(tokens, half));
        assertEquals("padMask = array of shape [2, 10] containing 0.5: expected only 0 (padding) and 1 (token)", notBinary.getMessage());
        INDArray nan = Nd4j.ones(DataType.FLOAT, 2, 10);
        nan.putScalar(1, 2, Double.NaN);
        var notANumber = assertThrows(IllegalArgumentException.class, () -> m.logits(tokens, nan));
        assertEquals("padMask = array of shape [2, 10] containing NaN: expected only 0 (padding) and 1 (token)", notANumber.getMessage());
        var bool = assertThrows(IllegalArgumentException.class, () -> m.logits(tokens, Nd4j.ones(DataType.BOOL, 2, 10)));
        assertEquals("padMask = array of type BOOL: expected a numeric array of 0 (padding) and 1 (token)", bool.getMessage());
    }

    @Test
    void padMasksOfAnotherNumericTypeAreCastToTheParameters() {
        TransformerModel m = TransformerModel.create(ModelConfig.classifier(11, 3, 10), 3);  // FLOAT parameters
        INDArray tokens = TestData.tokens(4, 11, 2, 10);
        INDArray pad = Nd4j.ones(DataType.FLOAT, 2, 10);
        pad.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 10)).assign(0);
        INDArray expected = m.logits(tokens, pad);
        assertEquals(0.0, TestData.maxAbsDiff(expected, m.logits(tokens, pad.castTo(DataType.DOUBLE))));
        assertEquals(0.0, TestData.maxAbsDiff(expected, m.logits(tokens, pad.castTo(DataType.INT))));
        assertEquals(DataType.FLOAT, m.logits(tokens, pad.castTo(DataType.DOUBLE)).dataType());
    }

    @Test
    void configRejectsInconsistentSettingsWithClearMessages() {
        var heads = assertThrows(IllegalArgumentException.class, () -> ModelConfig.languageModel(11, 8).withWidth(64, 3, 128));
        assertEquals("heads = 3: expected a divisor of dModel = 64", heads.getMessage());
        var classes = assertThrows(IllegalArgumentException.class, () -> ModelConfig.classifier(11, 1, 8));
        assertEquals("numClasses = 1: expected at least 2 for a classifier", classes.getMessage());
        var dropout = assertThrows(IllegalArgumentException.class, () -> ModelConfig.languageModel(11, 8).withDropout(1.0));
        assertEquals("dropout = 1.0: expected a value in [0, 1)", dropout.getMessage());
        var layers = assertThrows(IllegalArgumentException.class, () -> ModelConfig.languageModel(11, 8).withLayers(0));
        assertEquals("layers = 0: expected a positive integer", layers.getMessage());
        assertEquals("standard", ModelConfig.languageModel(11, 8).attention().kind());
        assertEquals(new StandardAttention.Config(), ModelConfig.classifier(11, 2, 8).attention());
    }

    @Test
    void attentionMapsAreRecordedPerLayer() {
        TransformerModel m = TransformerModel.create(ModelConfig.languageModel(11, 8).withLayers(3), 1);
        var maps = m.attentionMaps(TestData.tokens(1, 11, 1, 8), null);
        assertEquals(java.util.List.of("blocks.0.attn.probs", "blocks.1.attn.probs", "blocks.2.attn.probs"), java.util.List.copyOf(maps.keySet()));
        assertArrayEquals(new long[] {1, 4, 8, 8}, maps.get("blocks.1.attn.probs").shape());
    }
}
