package dev.etlab.io;

import dev.etlab.nn.ModelConfig;
import dev.etlab.nn.ParamStore;
import dev.etlab.nn.TransformerModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saves and loads a model's weights with its config.
 *
 * <p>Format (big-endian): magic {@code ETLABCKP}, version, the config as {@link ConfigCodec} text,
 * the data type, then each parameter (name, trainable, shape, values), and last a CRC-32 of
 * everything before it. Written to a temporary file in the same directory, flushed to disk and
 * renamed over the target, so a crash never leaves a half-written checkpoint under the real name.
 * A truncated or corrupted file, or one saved from a different config, fails with a message that
 * says which.
 */
public final class Checkpoint {
    private Checkpoint() {}

    private static final byte[] MAGIC = "ETLABCKP".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    /** Writes the model atomically to {@code path}. */
    public static void save(TransformerModel model, Path path) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            writeString(out, ConfigCodec.encode(model.config()));
            writeString(out, model.params().dataType().name());
            var params = model.params().all().values();
            out.writeInt(params.size());
            for (ParamStore.Param p : params) {
                writeString(out, p.name());
                out.writeBoolean(p.trainable());
                long[] shape = p.value().shape();
                out.writeInt(shape.length);
                for (long d : shape) out.writeLong(d);
                double[] values = p.value().dup().data().asDouble();
                for (double v : values) out.writeDouble(v);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not serialise the model: " + e.getMessage(), e);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes.toByteArray());
        ByteBuffer tail = ByteBuffer.allocate(8).putLong(crc.getValue());
        writeAtomically(path, bytes.toByteArray(), tail.array());
    }

    private static void writeAtomically(Path path, byte[] body, byte[] tail) {
        Path target = path.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                     OutputStream os = java.nio.channels.Channels.newOutputStream(ch)) {
                    os.write(body);
                    os.write(tail);
                    os.flush();
                    ch.force(true);
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint path = " + target + ": expected a writable location (" + e.getMessage() + ")", e);
        }
    }

    /** A new model with the config and weights stored in {@code path}. */
    public static TransformerModel load(Path path) {
        Contents c = read(path);
        TransformerModel model = TransformerModel.create(c.config, 0, c.type);
        fill(model, c, path);
        return model;
    }

    /** Overwrites {@code model}'s weights with those in {@code path}; the configs must be equal. */
    public static void loadInto(TransformerModel model, Path path) {
        Contents c = read(path);
        List<String> diff = ConfigCodec.differences(c.config, model.config());
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + path + " was saved from a different model config (checkpoint vs this model): "
                + String.join("; ", diff));
        }
        fill(model, c, path);
    }

    private record Stored(String name, boolean trainable, INDArray value) {}

    private record Contents(ModelConfig config, DataType type, List<Stored> params) {}

    private static Contents read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint path = " + path.toAbsolutePath() + ": expected a readable checkpoint file (" + e + ")", e);
        }
        if (all.length < MAGIC.length + 12 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("checkpoint " + path + " (" + all.length + " bytes): expected an Efficient Transformers Lab checkpoint starting with "
                + "ETLABCKP; this is not one, or it is truncated to nothing");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        long stored = ByteBuffer.wrap(all, all.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new IllegalArgumentException("checkpoint " + path + " (" + all.length + " bytes) is truncated or corrupt: "
                + "its checksum does not match its contents");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, MAGIC.length, all.length - 8 - MAGIC.length))) {
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("checkpoint " + path + " has format version " + version + ": expected " + VERSION);
            }
            ModelConfig config = ConfigCodec.decode(readString(in), ModelConfig.class);
            DataType type = DataType.valueOf(readString(in));
            int n = in.readInt();
            List<Stored> params = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = readString(in);
                boolean trainable = in.readBoolean();
                long[] shape = new long[in.readInt()];
                long count = 1;
                for (int d = 0; d < shape.length; d++) { shape[d] = in.readLong(); count *= shape[d]; }
                double[] values = new double[Math.toIntExact(count)];
                for (int k = 0; k < values.length; k++) values[k] = in.readDouble();
                params.add(new Stored(name, trainable, Nd4j.create(values, shape, DataType.DOUBLE).castTo(type)));
            }
            return new Contents(config, type, params);
        } catch (EOFException e) {
            throw new IllegalArgumentException("checkpoint " + path + " is truncated: it ends inside the parameter data", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + path + " could not be read: " + e.getMessage(), e);
        }
    }

    private static void fill(TransformerModel model, Contents c, Path path) {
        ParamStore store = model.params();
        if (store.all().size() != c.params.size()) {
            throw new IllegalArgumentException("checkpoint " + path + " holds " + c.params.size() + " parameters: expected " + store.all().size());
        }
        for (Stored p : c.params) {
            if (!store.contains(p.name()) || store.all().get(p.name()).trainable() != p.trainable()) {
                throw new IllegalArgumentException("checkpoint " + path + " has parameter " + p.name() + ": expected only " + store.all().keySet());
            }
            store.assign(p.name(), p.value().castTo(store.dataType()));
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 24) throw new IOException("a string length of " + n + " bytes");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
