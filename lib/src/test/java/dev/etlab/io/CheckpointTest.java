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

    /** Writes {@code bytes} with a valid checksum, so only the parser can notice what is wrong. */
    static Path withValidChecksum(Path file, byte[] bytes) throws Exception {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 8).putLong(crc.getValue());
        Files.write(file, bytes);
        return file;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        int found = -1;
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(haystack, i, i + needle.length), needle)) {
                assertEquals(-1, found, "the marker occurs once");
                found = i;
            }
        }
        assertTrue(found >= 0, "marker found");
        return found;
    }

    @Test
    void corruptHeadersWithAValidChecksumNameTheFileAndTheField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.ckpt");
        Checkpoint.save(TransformerModel.create(config, 1), file);
        byte[] bytes = Files.readAllBytes(file);
        // the data type string (length 5, "FLOAT"), then the parameter count, then the first parameter's name, flag, rank, shape
        int type = indexOf(bytes, new byte[] {0, 0, 0, 5, 'F', 'L', 'O', 'A', 'T'});
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        int nameAt = type + 9 + 4, nameLength = b.getInt(nameAt);
        String first = new String(bytes, nameAt + 4, nameLength, java.nio.charset.StandardCharsets.UTF_8);
        int rankAt = nameAt + 4 + nameLength + 1, shapeAt = rankAt + 4;

        byte[] gloat = bytes.clone();
        gloat[type + 4] = 'G';
        Path g = withValidChecksum(dir.resolve("gloat.ckpt"), gloat);
        assertEquals("checkpoint " + g + " is corrupt: data type = GLOAT: expected a floating-point type such as FLOAT or DOUBLE",
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(g)).getMessage());

        byte[] negativeRank = bytes.clone();
        java.nio.ByteBuffer.wrap(negativeRank).putInt(rankAt, -1);
        Path r = withValidChecksum(dir.resolve("rank.ckpt"), negativeRank);
        assertEquals("checkpoint " + r + " is corrupt: rank of parameter " + first + " = -1: expected a rank from 0 to 32",
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(r)).getMessage());

        byte[] negativeSize = bytes.clone();
        java.nio.ByteBuffer.wrap(negativeSize).putLong(shapeAt, -13);
        Path s = withValidChecksum(dir.resolve("size.ckpt"), negativeSize);
        assertEquals("checkpoint " + s + " is corrupt: shape of parameter " + first + " = [-13]: expected sizes of 0 or more",
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(s)).getMessage());

        byte[] hugeSize = bytes.clone();
        java.nio.ByteBuffer.wrap(hugeSize).putLong(shapeAt, 1L << 40);
        Path h = withValidChecksum(dir.resolve("huge.ckpt"), hugeSize);
        var huge = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(h));
        assertTrue(huge.getMessage().startsWith("checkpoint " + h + " is corrupt: shape of parameter " + first + " = [1099511627776"), huge.getMessage());

        byte[] nameLengthWrong = bytes.clone();
        java.nio.ByteBuffer.wrap(nameLengthWrong).putInt(nameAt, -7);
        Path nl = withValidChecksum(dir.resolve("name.ckpt"), nameLengthWrong);
        var name = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(nl));
        assertTrue(name.getMessage().startsWith("checkpoint " + nl + " is corrupt: its name of parameter 0 could not be read (a string length of -7 bytes"),
            name.getMessage());

        byte[] badConfig = bytes.clone();
        int learned = indexOf(badConfig, "LEARNED".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        badConfig[learned + 6] = 'X';
        Path cf = withValidChecksum(dir.resolve("config.ckpt"), badConfig);
        var conf = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(cf));
        assertTrue(conf.getMessage().startsWith("checkpoint " + cf + " is corrupt: its config could not be read (") && conf.getMessage().contains("LEARNEX"),
            conf.getMessage());
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFileBehind(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("m.ckpt");
        Files.createDirectories(target);              // a non-empty directory where the checkpoint should go:
        Files.writeString(target.resolve("keep"), "x"); // the temporary file is written, the rename then fails
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(TransformerModel.create(config, 1), target));
        assertTrue(e.getMessage().startsWith("checkpoint path = " + target.toAbsolutePath() + ": expected a writable location"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(target), files.toList(), "no temporary file left next to the target");
        }
    }
}
