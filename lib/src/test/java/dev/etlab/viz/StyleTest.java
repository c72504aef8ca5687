package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StyleTest {

    /** Clearly different at a glance (CIE76; 2.3 is just noticeable). */
    static final double DISTINCT = 20;

    @Test
    void variantsOfAMechanismHaveClearlyDistinctColours() {
        for (String base : List.of("longformer", "sparse", "performer", "standard", "linformer")) {
            List<String> labels = List.of(base, base + " (dense mask) #t", base + " w=4, no global #t", base + " strided #t", base + " fixed #t");
            List<Color> colors = new ArrayList<>();
            for (String l : labels) colors.add(Style.colorFor(l));
            for (int i = 0; i < colors.size(); i++)
                for (int j = i + 1; j < colors.size(); j++) {
                    double de = Style.deltaE(colors.get(i), colors.get(j));
                    assertTrue(de >= DISTINCT, labels.get(i) + " vs " + labels.get(j) + ": ΔE " + de);
                }
        }
    }

    @Test
    void variantsAlsoDifferInDashAndMarker() {
        String a = "longformer", b = "longformer (dense mask) #d";
        assertEquals(0, Style.variant(a));
        assertTrue(Style.variant(b) > 0);
        assertNotEquals(Style.markerFor(a), Style.markerFor(b));
        assertTrue(Style.strokeFor(a, 2f).getDashArray() == null, "the mechanism itself is solid");
        assertTrue(Style.strokeFor(b, 2f).getDashArray() != null, "a variant is dashed or dotted");
        assertEquals(Style.colorFor(b), Style.colorFor(" Longformer (Dense Mask) #d"), "stable and case-blind");
    }

    @Test
    void deltaEMeasuresDifference() {
        assertEquals(0, Style.deltaE(Color.RED, Color.RED), 1e-9);
        assertTrue(Style.deltaE(Color.BLACK, Color.WHITE) > 99);
        assertTrue(Style.deltaE(new Color(0x9467BD), new Color(0x9568BE)) < 2.3);
    }
}
