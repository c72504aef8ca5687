package dev.etlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplingTest {

    @Test
    void greedyPicksTheArgMaxAndTemperatureFollowsTheDistribution() {
        double[] logits = {0.0, Math.log(3), 0.0};
        assertEquals(1, Sampling.draw(logits, 0, new Random(1)));
        int[] counts = new int[3];
        Random r = new Random(2);
        for (int i = 0; i < 50_000; i++) counts[Sampling.draw(logits, 1.0, r)]++;
        assertEquals(0.6, counts[1] / 50_000.0, 0.01, "p = 3/5 at temperature 1");
    }

    @Test
    void continuesAPromptBeyondTheModelsMaxLength() {
        TransformerModel m = TransformerModel.create(ModelConfig.languageModel(7, 4), 1);
        int[] out = Sampling.continueFrom(m, new int[] {1, 2}, 6, 0.8, 3);
        assertEquals(8, out.length);
        assertEquals(1, out[0]);
        assertEquals(2, out[1]);
        for (int t : out) assertTrue(t >= 0 && t < 7);
        assertArrayEquals(out, Sampling.continueFrom(m, new int[] {1, 2}, 6, 0.8, 3), "seeded: reproducible");
        assertEquals("temperature = -1.0: expected 0 (greedy) or a positive number",
            assertThrows(IllegalArgumentException.class, () -> Sampling.continueFrom(m, new int[] {1}, 1, -1, 0)).getMessage());
    }
}
