/**
 * Efficient Transformers Lab: efficient-attention mechanisms, the layers and models around them,
 * training, data, benchmarks and plots.
 *
 * <h2>Shape letters</h2>
 * Used in comments beside operations throughout, e.g. {@code // (B, H, T, Dh)}:
 * <ul>
 *   <li>{@code B} batch size</li>
 *   <li>{@code T} sequence length (queries); {@code S} key/value length where it differs</li>
 *   <li>{@code D} model width (d_model); {@code H} heads; {@code Dh = D / H} width of one head</li>
 *   <li>{@code F} feed-forward width (d_ff); {@code V} vocabulary size; {@code C} classes</li>
 * </ul>
 */
package dev.etlab;
