/**
 * Model compression: int8 weight quantization ({@link dev.etlab.compress.Int8Matrix},
 * {@link dev.etlab.compress.Quantizer}, {@link dev.etlab.compress.QuantizedModel}, saved by
 * {@link dev.etlab.compress.QuantizedCheckpoint}), the int8 matrix products
 * ({@link dev.etlab.compress.Int8Kernels}, wired into a model's forward pass by
 * {@link dev.etlab.compress.Int8Ops}), unstructured magnitude pruning ({@link dev.etlab.compress.Pruning},
 * {@link dev.etlab.compress.PruningMask}) and attention-head pruning
 * ({@link dev.etlab.compress.HeadImportance}, {@link dev.etlab.compress.HeadPruning},
 * {@link dev.etlab.compress.HeadPrunedModel}). Notebook 11 rebuilds and measures them.
 *
 * <p>Shape letters as in {@link dev.etlab}; for a linear layer y = x · W, W is (Din, Dout) and is
 * quantized as Wᵀ (Dout rows of Din values), blocks along Din.
 */
package dev.etlab.compress;
