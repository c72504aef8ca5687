import dev.etlab.*;
import dev.etlab.attention.*;
import dev.etlab.nn.*;
import dev.etlab.train.*;
import dev.etlab.bench.*;
import dev.etlab.viz.*;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import java.util.*;
// Packages still to come: add each import above once its package has classes (jshell rejects an
// import of a package that does not exist, and the whole first cell would fail):
//   import dev.etlab.data.*;

// etlab-setup.jsh: the common setup of every lab notebook, run by its first cell
//     %classpath ../lib/target/etlab.jar ../lib/target/dependency/*.jar
//     %load etlab-setup.jsh
// The imports come first on purpose: in JJava 1.0a8 a comment line right above a wildcard import
// resets the notebook's existing object variables to null (harmless at the start, not on a re-run).

System.out.println(Backend.report());
