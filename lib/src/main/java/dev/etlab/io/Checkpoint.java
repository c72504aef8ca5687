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
 * renamed over the target, then the directory is flushed too (where the platform allows), so a crash
 * never leaves a half-written checkpoint under the real name; a failed write deletes its temporary
 * file. A truncated or corrupted file, or one saved from a different config, fails with a message
 * that says which — for a file whose checksum matches but whose contents cannot be parsed, the
 * message names the file and the field.
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
            boolean moved = false;
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
                moved = true;
            } finally {
                if (!moved) deleteQuietly(tmp); // never leave an orphaned temporary file, and keep the original error
            }
            forceDirectory(target.getParent());
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint path = " + target + ": expected a writable location (" + e.getMessage() + ")", e);
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the write already failed; that error is the one to report
        }
    }

    /** Flushes the directory entry of the rename to disk; platforms that cannot open a directory (Windows) are skipped. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // not supported here: the rename is still atomic, only its durability across a power cut is not guaranteed
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
        // the checksum matched, so any inconsistency below is a file written wrongly or corrupted before
        // its checksum was computed: every error names the file and the field being read
        String field = "format version";
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, MAGIC.length, all.length - 8 - MAGIC.length))) {
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("checkpoint " + path + " has format version " + version + ": expected " + VERSION);
            }
            field = "config";
            ModelConfig config = ConfigCodec.decode(readString(in), ModelConfig.class);
            field = "data type";
            String typeName = readString(in);
            DataType type = Arrays.stream(DataType.values()).filter(t -> t.name().equals(typeName) && t.isFPType()).findFirst()
                .orElseThrow(() -> corrupt(path, "data type", typeName, "a floating-point type such as FLOAT or DOUBLE"));
            field = "parameter count";
            int n = in.readInt();
            if (n < 0) throw corrupt(path, field, n, "0 or more");
            List<Stored> params = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                field = "name of parameter " + i;
                String name = readString(in);
                field = "trainable flag of parameter " + name;
                boolean trainable = in.readBoolean();
                field = "rank of parameter " + name;
                int rank = in.readInt();
                if (rank < 0 || rank > 32) throw corrupt(path, field, rank, "a rank from 0 to 32");
                field = "shape of parameter " + name;
                long[] shape = new long[rank];
                long count = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.readLong();
                    if (shape[d] < 0) throw corrupt(path, field, Arrays.toString(Arrays.copyOf(shape, d + 1)), "sizes of 0 or more");
                    count = count == 0 ? 0 : Math.multiplyExact(count, shape[d]);
                }
                field = "values of parameter " + name;
                if (count > in.available() / 8) {
                    throw corrupt(path, "shape of parameter " + name, Arrays.toString(shape),
                        "at most " + in.available() / 8 + " values (what is left of the file)");
                }
                double[] values = new double[(int) count];
                for (int k = 0; k < values.length; k++) values[k] = in.readDouble();
                params.add(new Stored(name, trainable, Nd4j.create(values, shape, DataType.DOUBLE).castTo(type)));
            }
            return new Contents(config, type, params);
        } catch (EOFException e) {
            throw new IllegalArgumentException("checkpoint " + path + " is corrupt: it ends inside the " + field
                + " (a length or count stored before it is wrong)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + path + " is corrupt: its " + field + " could not be read (" + e.getMessage() + ")", e);
        } catch (CorruptField e) {
            throw new IllegalArgumentException(e.getMessage(), e.getCause());
        } catch (RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("checkpoint " + path)) throw e;
            throw new IllegalArgumentException("checkpoint " + path + " is corrupt: its " + field + " could not be read (" + e + ")", e);
        }
    }

    /** A field whose stored value is impossible; read() turns it into an IllegalArgumentException. */
    private static final class CorruptField extends RuntimeException {
        CorruptField(String message) {
            super(message);
        }
    }

    private static CorruptField corrupt(Path path, String field, Object value, String expected) {
        return new CorruptField("checkpoint " + path + " is corrupt: " + field + " = " + value + ": expected " + expected);
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

    /** A length-prefixed UTF-8 string, as checkpoints store names and configs. */
    public static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** Reads what {@link #writeString} wrote, refusing a length beyond what is left. */
    public static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new IOException("a string length of " + n + " bytes, with " + in.available() + " left");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
