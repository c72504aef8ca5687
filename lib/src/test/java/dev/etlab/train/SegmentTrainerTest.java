package dev.etlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.Lab;
import dev.etlab.data.CharCorpus;
import dev.etlab.data.SegmentStreams;
import dev.etlab.data.Split;
import dev.etlab.nn.TransformerModel;
import dev.etlab.nn.TransformerXL;
import dev.etlab.nn.TransformerXLConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Training across consecutive segments with the memory carried, and the segment-by-segment evaluation. */
class SegmentTrainerTest {

    @BeforeAll
    static void init() {
        Lab.init();
    }

    /** Text with a period of 24 characters: after one period, the next character is known from 24 back. */
    static CharCorpus periodic(Path dir) throws Exception {
        String body = "the quick brown fox ran\n".repeat(600);
        for (String f : CharCorpus.FILES) Files.writeString(dir.resolve(f), body);
        return CharCorpus.load(dir);
    }

    static TransformerXLConfig config(CharCorpus c, int memory) {
        return new TransformerXLConfig(c.vocabSize(), 8, memory, 1, 2, 16, 32, 0.0, true);
    }

    static TrainConfig train(int steps) {
        return TrainConfig.defaults().withSteps(steps).withBatchSize(4).withWarmup(2).withLearningRate(1e-2);
    }

    @Test
    void trainingCarriesTheMemoryLowersTheLossAndIsReproducible(@TempDir Path dir) throws Exception {
        CharCorpus c = periodic(dir);
        SegmentStreams data = new SegmentStreams(c, Split.TRAIN, 4, 8);
        SegmentTrainer trainer = new SegmentTrainer(TransformerXL.create(config(c, 16), 1), data, train(40));
        History h = trainer.fit("xl");
        assertEquals(40, h.size());
        assertEquals(16, trainer.memory().length(), "memory grew to M and stayed");
        double[] loss = h.column(History.LOSS);
        double first = (loss[0] + loss[1] + loss[2]) / 3, last = (loss[37] + loss[38] + loss[39]) / 3;
        assertTrue(last < 0.6 * first, "loss fell: " + first + " -> " + last);
        double[] again = new SegmentTrainer(TransformerXL.create(config(c, 16), 1), data, train(40)).fit("xl").column(History.LOSS);
        assertArrayEquals(loss, again, 0.0);

        SegmentStreams held = new SegmentStreams(c, Split.VALIDATION, 2, 8);
        var withMemory = SegmentTrainer.evaluate(trainer.model(), held, 16, 6);
        var without = SegmentTrainer.evaluate(trainer.model(), held, 0, 6);
        assertEquals(8, withMemory.lossByPosition().length);
        assertEquals(6 * 2 * 8, withMemory.overall().predictions());
        double mean = 0;
        for (double l : withMemory.lossByPosition()) mean += l / 8;
        assertEquals(withMemory.overall().loss(), mean, 1e-6, "the overall loss is the mean over positions");
        assertEquals(withMemory.bitsByPosition()[3], withMemory.lossByPosition()[3] / Math.log(2), 1e-12);
        // the first position of a segment has no context without memory; with memory it has the previous segment
        assertTrue(withMemory.lossByPosition()[0] < without.lossByPosition()[0],
            withMemory.lossByPosition()[0] + " vs " + without.lossByPosition()[0]);
        var vanilla = SegmentTrainer.evaluate(TransformerModel.create(config(c, 16).vanilla(), 2), held, 3);
        assertEquals(3 * 2 * 8, vanilla.overall().predictions());
    }

    @Test
    void theSlidingWindowGivesEveryCharacterTheLCharactersBeforeIt(@TempDir Path dir) throws Exception {
        CharCorpus c = periodic(dir);
        TransformerModel vanilla = TransformerModel.create(config(c, 8).vanilla(), 3);
        SegmentStreams held = new SegmentStreams(c, Split.VALIDATION, 2, 8);
        // segment 0 has nothing before it: the same as each segment alone
        assertEquals(SegmentTrainer.evaluate(vanilla, held, 1).overall().loss(), SegmentTrainer.evaluateSlidingWindow(vanilla, held, 1).overall().loss(), 1e-6);
        var sliding = SegmentTrainer.evaluateSlidingWindow(vanilla, held, 2);
        var alone = SegmentTrainer.evaluate(vanilla, held, 2);
        assertEquals(2 * 2 * 8, sliding.overall().predictions());
        assertTrue(Math.abs(sliding.lossByPosition()[0] - alone.lossByPosition()[0]) > 1e-4, "segment 1 starts with context");
        // position 2 of segment 1, by hand in each stream: the window is the last 5 characters of segment 0 and the first 3 of segment 1
        INDArray prev = held.segment(0).tokens(), cur = held.segment(1).tokens();
        double[] both = new double[2];
        for (int stream = 0; stream < 2; stream++) {
            INDArray w = Nd4j.concat(1, prev.get(NDArrayIndex.interval(stream, stream + 1), NDArrayIndex.interval(3, 8)),
                cur.get(NDArrayIndex.interval(stream, stream + 1), NDArrayIndex.interval(0, 3)));
            INDArray l = vanilla.logits(w).get(NDArrayIndex.point(0), NDArrayIndex.point(7), NDArrayIndex.all()).castTo(DataType.DOUBLE);
            both[stream] = Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(l, true).sumNumber().doubleValue())
                - l.getDouble(held.segment(1).targets().getInt(stream, 2));
        }
        var segment0 = SegmentTrainer.evaluateSlidingWindow(vanilla, held, 1);
        assertEquals((2 * sliding.lossByPosition()[2] - segment0.lossByPosition()[2]) * 2, both[0] + both[1], 1e-4,
            "position 2 averaged over both segments and streams");
    }

    @Test
    void mismatchedSizesAreRejectedWithAMessageNamingThem(@TempDir Path dir) throws Exception {
        CharCorpus c = periodic(dir);
        TransformerXL model = TransformerXL.create(config(c, 8), 1);
        var batch = assertThrows(IllegalArgumentException.class,
            () -> new SegmentTrainer(model, new SegmentStreams(c, Split.TRAIN, 4, 8), train(5).withBatchSize(3)));
        assertEquals("batchSize = 3: expected the number of streams, 4 (each batch row is one stream)", batch.getMessage());
        var length = assertThrows(IllegalArgumentException.class,
            () -> new SegmentTrainer(model, new SegmentStreams(c, Split.TRAIN, 4, 9), train(5)));
        assertEquals("segmentLength = 9: expected at most the model's segmentLength = 8", length.getMessage());
        var memory = assertThrows(IllegalArgumentException.class,
            () -> SegmentTrainer.evaluate(model, new SegmentStreams(c, Split.VALIDATION, 2, 8), -1, 3));
        assertEquals("memoryLength = -1: expected 0 (no memory) or a positive number of kept states", memory.getMessage());
    }
}
