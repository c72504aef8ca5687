import dev.etlab.*;
import dev.etlab.attention.*;
import dev.etlab.nn.*;
import dev.etlab.train.*;
import dev.etlab.bench.*;
import dev.etlab.data.*;
import dev.etlab.io.*;
import dev.etlab.viz.*;
import dev.etlab.viz.Tables.Verdict;
import dev.etlab.compress.*;
import dev.etlab.speech.*;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import java.util.*;
// A new package goes into the imports above only once it has classes: jshell rejects an import of
// a package that does not exist, and the whole first cell would fail.

// etlab-setup.jsh: the common setup of every lab notebook, run by its first cell
//     %classpath ../lib/target/etlab.jar ../lib/target/dependency/*.jar
//     %load etlab-setup.jsh
// The imports come first on purpose: in JJava 1.0a8 a comment line right above a wildcard import
// resets the notebook's existing object variables to null (harmless at the start, not on a re-run).

/** A notebook's assertion: throws (so the run fails) unless {@code ok}; otherwise prints a tick and what held. */
void check(boolean ok, String what) {
    if (!ok) throw new AssertionError("check failed: " + what);
    System.out.println("\u2713 " + what);
}

System.out.println(Backend.report());
