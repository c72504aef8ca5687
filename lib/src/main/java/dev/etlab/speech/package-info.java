/**
 * The Conformer's building blocks (Gulati et al. 2020, "Conformer: Convolution-augmented Transformer for
 * Speech Recognition", https://arxiv.org/abs/2005.08100): Swish, GLU, depthwise and pointwise convolutions
 * over time, batch normalisation, the convolution module, the Conformer block and a convolutional
 * subsampling front end; the features they read: {@link dev.etlab.speech.LogMel} (log-mel filterbank energies,
 * from {@link dev.etlab.speech.RealFft} / {@link dev.etlab.speech.Fft} and {@link dev.etlab.speech.MelFilterbank});
 * and a CTC speech recogniser built from them: {@link dev.etlab.speech.SpeechEncoder}
 * (subsampling → Conformer, attention-only or conv-only blocks, {@link dev.etlab.speech.BlockKind}, sized to equal
 * parameter counts → linear to the labels), the CTC loss ({@link dev.etlab.speech.CtcLoss}, Graves et al. 2006),
 * greedy decoding ({@link dev.etlab.speech.CtcDecoding}) and error rates ({@link dev.etlab.speech.EditDistance});
 * {@link dev.etlab.train.CtcTrainer} trains it. The spoken-digit data and its batches are in {@code dev.etlab.data}
 * ({@code SpokenDigits}, {@code SpeechSet}).
 *
 * <p>Sequences are (B, T, C): batch, time frames, channels (C = D, the model width, inside a block;
 * the number of mel bins at the front end). Every layer is written once against {@link dev.etlab.tensor.Ops}.
 *
 * <p><b>Training and evaluation.</b> Only batch normalisation behaves differently in the two modes, and the
 * engine does not tell the mode (a gradient check runs the training behaviour on all three engines; an
 * evaluation may run on the tape). So the layers that contain it take an explicit {@code boolean training}:
 * true uses the batch's statistics (and, on an eager engine, updates the running ones), false the running ones.
 */
package dev.etlab.speech;
