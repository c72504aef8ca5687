package dev.etlab.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Where {@link Ops#param} finds parameter values: a model's parameter store, or a plain map in tests. */
@FunctionalInterface
public interface ParamSource {
    /** The parameter's array; throws {@link IllegalArgumentException} naming it if there is none. */
    INDArray get(String name);

    /** The data type of every parameter, or null when not known in advance (a plain map, say). */
    default DataType dataType() {
        return null;
    }
}
