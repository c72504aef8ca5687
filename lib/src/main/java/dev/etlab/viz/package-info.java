/**
 * Seeing why and when efficient attention pays off: charts, heatmaps, progress bars and tables
 * that work the same in a Jupyter notebook (JJava or IJava kernel, found by reflection) and in a
 * plain {@code main} or test run.
 *
 * <ul>
 *   <li>{@link dev.etlab.viz.Notebook}: show charts and images as {@code image/png}, HTML, tables;
 *       update an output in place. Outside a notebook charts are saved under {@code build/plots/}.</li>
 *   <li>{@link dev.etlab.viz.Progress}: one in-place HTML bar in a notebook, a terminal bar on a
 *       console, at most ten lines in logs; {@code ETLAB_PROGRESS=off} silences.</li>
 *   <li>{@link dev.etlab.viz.Charts}: log-log complexity charts with fitted slopes and O(n)/O(n²)
 *       guides ({@link dev.etlab.viz.ComplexityChart}), training curves with EMA smoothing,
 *       attention heatmaps and masks ({@link dev.etlab.viz.Heatmap}), bars and lines.</li>
 *   <li>{@link dev.etlab.viz.Tables}: tables as HTML or aligned text, and the "ours vs paper" table.</li>
 *   <li>{@link dev.etlab.viz.Style}: one colour per mechanism everywhere, fonts, sizes.</li>
 * </ul>
 */
package dev.etlab.viz;
