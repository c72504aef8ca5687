package dev.etlab.viz;

import java.awt.Color;

/**
 * Colour maps for heatmaps, interpolated linearly in RGB between a few control points. VIRIDIS is
 * perceptually uniform (dark purple → teal → yellow); the control points are nine evenly spaced
 * samples of the viridis map. {@link #color(double)} takes t in [0, 1] (clamped; NaN gives grey).
 */
public enum Colormap {
    /** Dark purple (low) → blue → teal → green → yellow (high). */
    VIRIDIS(0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21908C, 0x27AD81, 0x5DC863, 0xAADC32, 0xFDE725),
    /** Black (low) → purple → orange → pale yellow (high): more contrast for peaky maps. */
    MAGMA(0x000004, 0x1C1044, 0x4F127B, 0x812581, 0xB5367A, 0xE55064, 0xFB8761, 0xFEC287, 0xFCFDBF),
    /** White (low) → dark blue-grey (high): for masks and patterns on a light page. */
    GREYS(0xFFFFFF, 0x2B3440);

    private final int[] stops;
    private final int[] lut = new int[LUT];
    private static final int LUT = 1024;
    /** Colour of NaN cells. */
    public static final int NAN_RGB = 0xBDBDBD;

    Colormap(int... stops) {
        this.stops = stops;
        for (int i = 0; i < LUT; i++) lut[i] = interpolate((double) i / (LUT - 1));
    }

    private int interpolate(double t) {
        double x = t * (stops.length - 1);
        int k = Math.min((int) Math.floor(x), stops.length - 2);
        double f = x - k;
        int a = stops[k], b = stops[k + 1];
        int r = (int) Math.round(((a >> 16) & 255) * (1 - f) + ((b >> 16) & 255) * f);
        int g = (int) Math.round(((a >> 8) & 255) * (1 - f) + ((b >> 8) & 255) * f);
        int bl = (int) Math.round((a & 255) * (1 - f) + (b & 255) * f);
        return (r << 16) | (g << 8) | bl;
    }

    /** 0xRRGGBB for t in [0, 1]. */
    public int rgb(double t) {
        if (Double.isNaN(t)) return NAN_RGB;
        if (t <= 0) return lut[0];
        if (t >= 1) return lut[LUT - 1];
        return lut[(int) Math.round(t * (LUT - 1))];
    }

    /** The colour for t in [0, 1]. */
    public Color color(double t) {
        return new Color(rgb(t));
    }

    /** 0xRRGGBB of the low end. */
    public int lowRgb() {
        return stops[0];
    }

    /** 0xRRGGBB of the high end. */
    public int highRgb() {
        return stops[stops.length - 1];
    }
}
