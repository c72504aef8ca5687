package dev.etlab.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.Positions;
import dev.etlab.nn.TransformerModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class QuantizerTest {
    final ModelConfig config = ModelConfig.languageModel(13, 16).withPositions(Positions.LEARNED);

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void weightMatricesAreQuantizedInPlaceAndTheRestIsUntouched() {
        TransformerModel original = TransformerModel.create(config, 5);
        TransformerModel model = TransformerModel.create(config, 5);
        QuantizedModel q = Quantizer.perBlock(32).quantize(model);
        assertEquals(2 * 6 + 1 + 2, q.weights().size(), "2 blocks × (4 attention + 2 feed-forward) + head + 2 tables");
        for (var p : model.params().all().values()) {
            INDArray before = original.params().get(p.name());
            double diff = TestData.maxAbsDiff(before, p.value());
            if (q.weights().containsKey(p.name())) {
                QuantizedModel.Weight w = q.weights().get(p.name());
                float maxScale = 0;
                for (float s : w.matrix().scales()) maxScale = Math.max(maxScale, s);
                assertTrue(diff > 0 && diff <= maxScale / 2 * 1.0001, p.name() + ": " + diff);
                assertEquals(0.0, TestData.maxAbsDiff(w.dequantized(DataType.FLOAT), p.value()), p.name());
            } else {
                assertEquals(0.0, diff, p.name() + " is not quantized");
            }
        }
        assertTrue(q.weights().get("blocks.0.ffn.w2").transposed());
        assertEquals(64, q.weights().get("blocks.0.ffn.w2").matrix().rows(), "W2 (F, D) is stored as W2ᵀ: one row per output");
        assertFalse(q.weights().get("embed.weight").transposed());
    }

    @Test
    void everyKernelComputesTheQuantizedModel() {
        TransformerModel model = TransformerModel.create(config, 7);
        QuantizedModel q = Quantizer.perRow().quantize(model);
        INDArray tokens = TestData.tokens(3, 13, 2, 16);
        INDArray reference = model.logits(tokens);
        assertEquals(0.0, TestData.maxAbsDiff(reference, q.logits(tokens, Int8Ops.Kernel.ND4J_FLOAT)));
        assertTrue(TestData.maxAbsDiff(reference, q.logits(tokens, Int8Ops.Kernel.JAVA_FLOAT)) < 1e-4);
        assertTrue(TestData.maxAbsDiff(reference, q.logits(tokens, Int8Ops.Kernel.INT8_WEIGHTS)) < 1e-4);
        double int8 = TestData.maxAbsDiff(reference, q.logits(tokens, Int8Ops.Kernel.INT8_INT8));
        double scale = reference.amaxNumber().doubleValue();
        assertTrue(int8 > 0 && int8 < 0.05 * scale, "int8 activations change the logits a little: " + int8 + " of " + scale);
    }

    @Test
    void theInt8CheckpointLoadsTheSameModelAndIsAboutFourTimesSmaller(@TempDir Path dir) throws Exception {
        ModelConfig wide = config.withWidth(128, 4, 512);
        TransformerModel model = TransformerModel.create(wide, 3);
        Path fp32 = dir.resolve("fp32.q8"), perRow = dir.resolve("row.q8"), perBlock = dir.resolve("block.q8");
        QuantizedCheckpoint.saveFloat32(model, fp32);
        TransformerModel fresh = TransformerModel.create(wide, 3);
        QuantizedModel rows = Quantizer.perRow().quantize(fresh);
        QuantizedCheckpoint.save(rows, perRow);
        QuantizedModel blocks = Quantizer.perBlock(32).quantize(model);
        QuantizedCheckpoint.save(blocks, perBlock);
        double rowRatio = Files.size(fp32) / (double) Files.size(perRow);
        double blockRatio = Files.size(fp32) / (double) Files.size(perBlock);
        // what is not 4×: float32 biases and norms (0.9 % of the values, 3.6 % of the int8 file) and one float32
        // scale per row (2.3 %) give 3.8×; one scale per 32 values adds 4/32 bytes per byte (12.5 %)
        assertTrue(rowRatio > 3.75 && rowRatio < 4, "per-row: " + rowRatio);
        assertEquals(QuantizedModel.float32Bytes(model) / (double) rows.storageBytes(), rowRatio, 0.01 * rowRatio);
        assertTrue(blockRatio > 3.4 && blockRatio < 32.0 / 9, "per-block (32): " + blockRatio);
        assertEquals(QuantizedModel.float32Bytes(model) / (double) blocks.storageBytes(), blockRatio, 0.01 * blockRatio);

        QuantizedModel loaded = QuantizedCheckpoint.load(perBlock);
        INDArray tokens = TestData.tokens(1, 13, 2, 16);
        assertEquals(0.0, TestData.maxAbsDiff(model.logits(tokens), loaded.model().logits(tokens)));
        assertEquals(blocks.weights().get("head.w").matrix(), loaded.weights().get("head.w").matrix());
        assertEquals(0.0, TestData.maxAbsDiff(blocks.logits(tokens, Int8Ops.Kernel.INT8_INT8), loaded.logits(tokens, Int8Ops.Kernel.INT8_INT8)));
        assertTrue(Quantizer.isQuantized(loaded.model()));
        assertEquals(0.0, TestData.maxAbsDiff(TransformerModel.create(wide, 3).logits(tokens), QuantizedCheckpoint.loadFloat32(fp32).logits(tokens)));
        var e = assertThrows(IllegalArgumentException.class, () -> QuantizedCheckpoint.load(fp32));
        assertEquals("checkpoint " + fp32 + " holds a float32 model: expected an int8 checkpoint (load it with loadFloat32)", e.getMessage());
        byte[] bytes = Files.readAllBytes(perBlock);
        bytes[bytes.length / 2] ^= 1;
        Files.write(perBlock, bytes);
        e = assertThrows(IllegalArgumentException.class, () -> QuantizedCheckpoint.load(perBlock));
        assertTrue(e.getMessage().endsWith("is truncated or corrupt: its checksum does not match its contents"), e.getMessage());
    }

    @Test
    void badInputIsRefusedWithAReason() {
        TransformerModel model = TransformerModel.create(config, 1);
        Quantizer.perRow().quantize(model);
        var e = assertThrows(IllegalArgumentException.class, () -> Quantizer.perBlock(32).quantize(model));
        assertEquals("model = an already quantized model: expected a float32 model that was not quantized before "
            + "(quantizing ŵ again would compound the rounding; keep a copy of the float weights)", e.getMessage());

        TransformerModel fresh = TransformerModel.create(config, 1);
        INDArray before = fresh.params().get("embed.weight").dup();
        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.perBlock(48).quantize(fresh));
        assertEquals("blockSize = 48: expected a divisor of the row length 64 of embed.weight; "
            + "per-row scaling (0) or a block size dividing every row length", e.getMessage());
        assertEquals(0.0, TestData.maxAbsDiff(before, fresh.params().get("embed.weight")), "nothing changed");
        assertFalse(Quantizer.isQuantized(fresh));

        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.perRow().quantize(TransformerModel.create(config, 1, DataType.DOUBLE)));
        assertEquals("model data type = DOUBLE: expected FLOAT (int8 replaces float32 weights)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.perBlock(0));
        assertEquals("blockSize = 0: expected a positive integer", e.getMessage());
    }
}
