package dev.etlab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.etlab.attention.AttentionConfig;
import dev.etlab.attention.StandardAttention;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.Positions;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigCodecTest {
    final ModelConfig lm = ModelConfig.languageModel(65, 128).withLayers(3).withDropout(0.1).withPositions(Positions.LEARNED);

    @Test
    void roundTripsAModelConfig() {
        String text = ConfigCodec.encode(lm);
        assertTrue(text.contains("attention.type=dev.etlab.attention.StandardAttention$Config\n"), text);
        assertTrue(text.contains("dropout=0.1\n"), text);
        assertEquals(lm, ConfigCodec.decode(text, ModelConfig.class));
        assertEquals(lm, ConfigCodec.decode(ConfigCodec.encodeLine(lm), ModelConfig.class));
    }

    @Test
    void roundTripsASealedAttentionConfigOnItsOwn() {
        AttentionConfig c = new StandardAttention.Config();
        assertEquals(c, ConfigCodec.decode(ConfigCodec.encode(c, AttentionConfig.class), AttentionConfig.class));
    }

    @Test
    void namesMissingUnknownAndMalformedKeys() {
        String text = ConfigCodec.encode(lm);
        var missing = assertThrows(IllegalArgumentException.class, () -> ConfigCodec.decode(text.replace("layers=3\n", ""), ModelConfig.class));
        assertEquals("config key layers: missing; expected a value of type int", missing.getMessage());
        var extra = assertThrows(IllegalArgumentException.class, () -> ConfigCodec.decode(text + "colour=blue\n", ModelConfig.class));
        assertEquals("config keys [colour]: expected only the components of ModelConfig", extra.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> ConfigCodec.decode(text.replace("layers=3", "layers=three"), ModelConfig.class));
        assertEquals("config layers = three: expected a value of type int", bad.getMessage());
        var invalid = assertThrows(IllegalArgumentException.class, () -> ConfigCodec.decode(text.replace("heads=4", "heads=5"), ModelConfig.class));
        assertEquals("heads = 5: expected a divisor of dModel = 64", invalid.getMessage());
    }

    @Test
    void listsDifferences() {
        assertEquals(List.of("layers: 3 vs 2", "positions: LEARNED vs SINUSOIDAL"),
            ConfigCodec.differences(lm, lm.withLayers(2).withPositions(Positions.SINUSOIDAL)));
    }
}
