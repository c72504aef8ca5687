package dev.etlab.nn;

import dev.etlab.tensor.ParamSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model's parameters by name, in declaration order: trainable weights, and fixed buffers (such
 * as random-feature matrices) that are saved with the model but never updated by the optimizer.
 *
 * <p>Names are dotted paths ({@code blocks.0.attn.wq}). Declaring a name twice with the same shape
 * returns the existing array, which is how parameters are shared across layers.
 */
public final class ParamStore implements ParamSource {

    /** One named parameter. */
    public record Param(String name, INDArray value, boolean trainable) {}

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final DataType dataType;
    private final Random rng;

    /** @param seed seeds every initial value drawn by {@link #declare} */
    public ParamStore(DataType dataType, long seed) {
        this.dataType = dataType;
        this.rng = new Random(seed);
    }

    public DataType dataType() { return dataType; }

    /** A trainable parameter; created from {@code init} on first declaration, shared afterwards. */
    public INDArray declare(String name, Init init, long... shape) {
        return declare(name, init, true, shape);
    }

    /** A fixed buffer: saved and loaded with the model, not trained. */
    public INDArray buffer(String name, Init init, long... shape) {
        return declare(name, init, false, shape);
    }

    private INDArray declare(String name, Init init, boolean trainable, long... shape) {
        Param existing = params.get(name);
        if (existing != null) {
            if (!Arrays.equals(existing.value().shape(), shape) || existing.trainable() != trainable) {
                throw new IllegalArgumentException("parameter " + name + " declared again with shape " + Arrays.toString(shape)
                    + ": expected its first shape " + Arrays.toString(existing.value().shape()));
            }
            return existing.value();
        }
        INDArray value = init.create(shape, dataType, rng);
        params.put(name, new Param(name, value, trainable));
        return value;
    }

    @Override
    public INDArray get(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("parameter \"" + name + "\": expected one of the declared parameters "
                + (params.size() > 12 ? params.keySet().stream().limit(12).toList() + "..." : params.keySet()));
        }
        return p.value();
    }

    public boolean contains(String name) {
        return params.containsKey(name);
    }

    public Map<String, Param> all() {
        return Collections.unmodifiableMap(params);
    }

    public List<String> trainableNames() {
        List<String> out = new ArrayList<>();
        for (Param p : params.values()) if (p.trainable()) out.add(p.name());
        return out;
    }

    /** Number of trainable scalars. */
    public long trainableCount() {
        long n = 0;
        for (Param p : params.values()) if (p.trainable()) n += p.value().length();
        return n;
    }

    /** Overwrites a parameter's values in place (keeps the array identity that graphs hold). */
    public void assign(String name, INDArray value) {
        INDArray target = get(name);
        if (!Arrays.equals(target.shape(), value.shape())) {
            throw new IllegalArgumentException("value for parameter " + name + " has shape " + Arrays.toString(value.shape())
                + ": expected " + Arrays.toString(target.shape()));
        }
        target.assign(value);
    }

    /** A deep copy (for example to keep the best weights). */
    public ParamStore copy() {
        ParamStore c = new ParamStore(dataType, 0);
        for (Param p : params.values()) c.params.put(p.name(), new Param(p.name(), p.value().dup(), p.trainable()));
        return c;
    }
}
