package dev.etlab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.TestData;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.Positions;
import dev.etlab.nn.TransformerModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class CheckpointTest {
    final ModelConfig config = ModelConfig.languageModel(13, 16).withPositions(Positions.LEARNED);

    @BeforeAll
    static void init() {
        Lab.init();
    }

    @Test
    void saveThenLoadGivesTheSameModel(@TempDir Path dir) throws Exception {
        TransformerModel m = TransformerModel.create(config, 5);
        Path file = dir.resolve("sub/model.ckpt");
        Checkpoint.save(m, file);
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "only the checkpoint, no temporary file left behind");
        }
        INDArray tokens = TestData.tokens(6, 13, 2, 16);
        TransformerModel loaded = Checkpoint.load(file);
        assertEquals(config, loaded.config());
        assertEquals(0.0, TestData.maxAbsDiff(m.logits(tokens), loaded.logits(tokens)));
        TransformerModel other = TransformerModel.create(config, 99);
        Checkpoint.loadInto(other, file);
        assertEquals(0.0, TestData.maxAbsDiff(m.logits(tokens), other.logits(tokens)));
    }

    @Test
    void loadingIntoADifferentConfigSaysWhatDiffers(@TempDir Path dir) {
        Path file = dir.resolve("m.ckpt");
        Checkpoint.save(TransformerModel.create(config, 1), file);
        TransformerModel different = TransformerModel.create(config.withLayers(3).withPositions(Positions.SINUSOIDAL), 1);
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(different, file));
        assertEquals("checkpoint " + file + " was saved from a different model config (checkpoint vs this model): "
            + "layers: 2 vs 3; positions: LEARNED vs SINUSOIDAL", e.getMessage());
    }

    @Test
    void truncatedCorruptAndForeignFilesAreRefusedWithAReason(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.ckpt");
        Checkpoint.save(TransformerModel.create(config, 1), file);
        byte[] bytes = Files.readAllBytes(file);

        Path truncated = dir.resolve("truncated.ckpt");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        var t = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(truncated));
        assertTrue(t.getMessage().contains("is truncated or corrupt: its checksum does not match"), t.getMessage());

        Path corrupt = dir.resolve("corrupt.ckpt");
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 3] ^= 0x40;
        Files.write(corrupt, flipped);
        var c = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(corrupt));
        assertTrue(c.getMessage().contains("truncated or corrupt"), c.getMessage());

        Path foreign = dir.resolve("foreign.ckpt");
        Files.writeString(foreign, "hello, I am a text file and not a checkpoint");
        var f = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(foreign));
        assertTrue(f.getMessage().contains("expected an Efficient Transformers Lab checkpoint starting with ETLABCKP"), f.getMessage());

        var missing = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir.resolve("absent.ckpt")));
        assertTrue(missing.getMessage().startsWith("checkpoint path = " + dir.resolve("absent.ckpt").toAbsolutePath()), missing.getMessage());
    }
}
