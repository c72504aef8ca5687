package dev.etlab.compress;

import dev.etlab.io.Checkpoint;

import dev.etlab.io.ConfigCodec;
import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saves and loads a model with int8 weights: quantized matrices as their int8 values and float32
 * scales, every other parameter as float32. {@link #saveFloat32} writes an unquantized model in the
 * same format with every parameter as float32, the baseline the int8 file is measured against.
 *
 * <p>Format (big-endian): magic {@code ETLABQ8}, version, the config as {@link ConfigCodec} text, the
 * block size (−1: a float32 file, 0: per-row), the parameter count, then per parameter its name,
 * trainable flag and a kind byte — 0: rank, shape, float32 values; 1: transposed flag, rows, cols,
 * block size, int8 values, float32 scales — and last a CRC-32 of everything before it. Written to a
 * temporary file and renamed over the target.
 */
public final class QuantizedCheckpoint {
    private QuantizedCheckpoint() {}

    private static final byte[] MAGIC = "ETLABQ8".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int FLOAT_FILE = -1;

    /** Writes the quantized model to {@code path}. */
    public static void save(QuantizedModel model, Path path) {
        write(model.model(), model.scheme().blockSize(), model.weights(), path);
    }

    /** Writes an unquantized model with float32 values (the size baseline). */
    public static void saveFloat32(TransformerModel model, Path path) {
        dev.etlab.Check.arg(!Quantizer.isQuantized(model), "model", "a quantized model", "a float model (save a quantized one with save(QuantizedModel, path))");
        write(model, FLOAT_FILE, Map.of(), path);
    }

    private static void write(TransformerModel model, int blockSize, Map<String, QuantizedModel.Weight> weights, Path path) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            Checkpoint.writeString(out, ConfigCodec.encode(model.config()));
            out.writeInt(blockSize);
            out.writeInt(model.params().all().size());
            for (ParamStore.Param p : model.params().all().values()) {
                Checkpoint.writeString(out, p.name());
                out.writeBoolean(p.trainable());
                QuantizedModel.Weight w = weights.get(p.name());
                if (w == null) {
                    out.writeByte(0);
                    long[] shape = p.value().shape();
                    out.writeInt(shape.length);
                    for (long d : shape) out.writeLong(d);
                    for (float v : p.value().castTo(DataType.FLOAT).dup('c').data().asFloat()) out.writeFloat(v);
                } else {
                    Int8Matrix m = w.matrix();
                    out.writeByte(1);
                    out.writeBoolean(w.transposed());
                    out.writeInt(m.rows());
                    out.writeInt(m.cols());
                    out.writeInt(m.blockSize());
                    out.write(m.values());
                    for (float s : m.scales()) out.writeFloat(s);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not serialise the model: " + e.getMessage(), e);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes.toByteArray());
        Path target = path.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes.toByteArray());
                Files.write(tmp, ByteBuffer.allocate(8).putLong(crc.getValue()).array(), java.nio.file.StandardOpenOption.APPEND);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint path = " + target + ": expected a writable location (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Loads a quantized checkpoint: a new float32 model holding the dequantized weights, with its int8
     * matrices. A float32 file (from {@link #saveFloat32}) is rejected: load it with {@link #loadFloat32}.
     */
    public static QuantizedModel load(Path path) {
        Loaded l = read(path);
        if (l.blockSize == FLOAT_FILE) {
            throw new IllegalArgumentException("checkpoint " + path + " holds a float32 model: expected an int8 checkpoint (load it with loadFloat32)");
        }
        Quantizer.markQuantized(l.model.params());
        return new QuantizedModel(l.model, new Quantizer(l.blockSize), l.weights);
    }

    /** Loads a float32 file written by {@link #saveFloat32}. */
    public static TransformerModel loadFloat32(Path path) {
        Loaded l = read(path);
        if (l.blockSize != FLOAT_FILE) {
            throw new IllegalArgumentException("checkpoint " + path + " holds an int8 model: expected a float32 checkpoint (load it with load)");
        }
        return l.model;
    }

    private record Loaded(TransformerModel model, int blockSize, Map<String, QuantizedModel.Weight> weights) {}

    private static Loaded read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint path = " + path.toAbsolutePath() + ": expected a readable checkpoint file (" + e + ")", e);
        }
        if (all.length < MAGIC.length + 16 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("checkpoint " + path + " (" + all.length + " bytes): expected a lab int8 checkpoint starting with ETLABQ8");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        if (crc.getValue() != ByteBuffer.wrap(all, all.length - 8, 8).getLong()) {
            throw new IllegalArgumentException("checkpoint " + path + " (" + all.length + " bytes) is truncated or corrupt: its checksum does not match its contents");
        }
        String field = "format version";
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, MAGIC.length, all.length - 8 - MAGIC.length))) {
            int version = in.readInt();
            if (version != VERSION) throw new IllegalArgumentException("checkpoint " + path + " has format version " + version + ": expected " + VERSION);
            field = "config";
            ModelConfig config = ConfigCodec.decode(Checkpoint.readString(in), ModelConfig.class);
            TransformerModel model = TransformerModel.create(config, 0, DataType.FLOAT);
            ParamStore store = model.params();
            field = "block size";
            int blockSize = in.readInt();
            field = "parameter count";
            int n = in.readInt();
            if (n != store.all().size()) {
                throw new IllegalArgumentException("checkpoint " + path + " holds " + n + " parameters: expected " + store.all().size() + " for its config");
            }
            Map<String, QuantizedModel.Weight> weights = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                field = "name of parameter " + i;
                String name = Checkpoint.readString(in);
                in.readBoolean();
                field = "parameter " + name;
                INDArray target = store.get(name);
                int kind = in.readByte();
                if (kind == 0) {
                    long[] shape = new long[in.readInt()];
                    for (int d = 0; d < shape.length; d++) shape[d] = in.readLong();
                    check(Arrays.equals(shape, target.shape()), path, name, Arrays.toString(shape), Arrays.toString(target.shape()));
                    float[] v = new float[Math.toIntExact(target.length())];
                    for (int k = 0; k < v.length; k++) v[k] = in.readFloat();
                    store.assign(name, Nd4j.create(v, shape, DataType.FLOAT));
                } else if (kind == 1) {
                    boolean transposed = in.readBoolean();
                    int rows = in.readInt(), cols = in.readInt(), bs = in.readInt();
                    long[] expect = transposed ? new long[] {target.size(1), target.size(0)} : target.shape();
                    check(rows == expect[0] && cols == expect[1], path, name, rows + " × " + cols, expect[0] + " × " + expect[1]);
                    check(bs > 0 && cols % bs == 0, path, name + " block size", bs, "a divisor of " + cols);
                    check((long) rows * cols * (1 + 4.0 / bs) <= in.available(), path, name + " size", rows + " × " + cols,
                        "at most what is left of the file (" + in.available() + " bytes)");
                    byte[] q = new byte[rows * cols];
                    in.readFully(q);
                    float[] s = new float[rows * cols / bs];
                    for (int k = 0; k < s.length; k++) s[k] = in.readFloat();
                    QuantizedModel.Weight w = new QuantizedModel.Weight(name, transposed, new Int8Matrix(rows, cols, bs, q, s));
                    weights.put(name, w);
                    store.assign(name, w.dequantized(DataType.FLOAT));
                } else {
                    check(false, path, name + " kind", kind, "0 (float32) or 1 (int8)");
                }
            }
            return new Loaded(model, blockSize, weights);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + path + " is corrupt: its " + field + " could not be read (" + e + ")", e);
        }
    }

    private static void check(boolean ok, Path path, String field, Object value, String expected) {
        if (!ok) throw new IllegalArgumentException("checkpoint " + path + " is corrupt: " + field + " = " + value + ": expected " + expected);
    }
}
