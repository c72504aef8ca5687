package dev.etlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Surefire starts the test JVM with {@code --add-modules=jdk.incubator.vector} (lib/pom.xml). */
class SimdTest {

    @Test
    void moduleIsLoadedInTheTestJvm() {
        assertTrue(Simd.moduleLoaded(), "surefire's argLine should add jdk.incubator.vector");
        String saved = System.getProperty(Simd.PROPERTY);
        System.clearProperty(Simd.PROPERTY);
        try {
            assertTrue(Simd.enabled());
            String d = Simd.describe();
            assertTrue(d.startsWith("Vector API: on (jdk.incubator.vector"), d);
            assertTrue(Simd.preferredFloatLanes() > 0, d);
            assertTrue(d.contains(Simd.preferredFloatLanes() + " float lanes"), d);
        } finally {
            restore(saved);
        }
    }

    @Test
    void propertyTurnsItOff() {
        String saved = System.getProperty(Simd.PROPERTY);
        try {
            System.setProperty(Simd.PROPERTY, "false");
            assertFalse(Simd.enabled());
            assertTrue(Simd.moduleLoaded());
            assertEquals("Vector API: off (-Detlab.simd=false)", Simd.describe());
            System.setProperty(Simd.PROPERTY, "true");
            assertTrue(Simd.enabled());
        } finally {
            restore(saved);
        }
    }

    private static void restore(String saved) {
        if (saved == null) System.clearProperty(Simd.PROPERTY);
        else System.setProperty(Simd.PROPERTY, saved);
    }
}
