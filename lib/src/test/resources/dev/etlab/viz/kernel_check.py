#!/usr/bin/env python3
"""Runs dev.etlab.viz in a real JJava kernel and checks what the notebook receives.

Not part of the Maven build. Needs a venv with the JJava kernel and nbclient:

    python3 -m venv /tmp/vizvenv
    /tmp/vizvenv/bin/pip install jjava==1.0a8 nbclient nbformat ipykernel
    mvn -q -B -DskipTests package          # lib/target/etlab.jar + lib/target/dependency/*.jar
    /tmp/vizvenv/bin/python lib/src/test/resources/dev/etlab/viz/kernel_check.py [out.ipynb]

Checks: the kernel is detected (Notebook.active()), charts and heatmaps arrive as image/png,
a progress bar is ONE display_data followed by a handful of update_display_data messages with
the same display_id (never many outputs), tables arrive as text/html, and Notebook.update
replaces an image in place. Exit code 0 when all checks pass.
"""
import collections
import json
import os
import sys

import nbformat
from nbclient import NotebookClient

def _root():
    d = os.path.dirname(os.path.abspath(__file__))
    while d != os.path.dirname(d):  # walk up to the checkout (works from src/ and from target/test-classes)
        if os.path.exists(os.path.join(d, "lib", "pom.xml")):
            return d
        d = os.path.dirname(d)
    sys.exit("cannot find the project root (a folder with lib/pom.xml) above " + __file__)


ROOT = _root()
LIB = os.path.join(ROOT, "lib", "target")

CELLS = {
    "setup": f"""%classpath {LIB}/etlab.jar
%classpath {LIB}/dependency/*.jar""",
    "detect": """import dev.etlab.viz.*;
import dev.etlab.bench.*;
import java.util.*;
System.out.println("active=" + Notebook.active() + " kernel=" + Notebook.kernelName());""",
    "progress": """try (Progress p = Progress.start("training standard", 300)) {
    for (int i = 1; i <= 300; i++) {
        Thread.sleep(10);
        p.update(i, String.format("loss %.3f", 3.0 / i));
    }
}""",
    "complexity": """List<BenchmarkPoint> pts = new ArrayList<>();
for (int n = 256; n <= 8192; n *= 2) {
    pts.add(new BenchmarkPoint("standard", Mode.FORWARD, n, 4, 128, 4, 2e-5 * n * n, 2e-5 * n * n, 5, 48L * n * n, 0, 0, null));
    pts.add(new BenchmarkPoint("linformer", Mode.FORWARD, n, 4, 128, 4, 0.004 * n, 0.004 * n, 5, 400_000L * n, 0, 0, null));
}
pts.add(new BenchmarkPoint("standard", Mode.FORWARD, 16384, 4, 128, 4, Double.NaN, Double.NaN, 0, 0, 0, 0, "predicted 18 GiB > cap"));
ComplexityChart c = Charts.complexity(pts, Metric.TIME, Mode.FORWARD).markCrossover(512, null);
Notebook.show(c);
System.out.println(c.slopes() + " | " + c.caption());""",
    "heatmap": """import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;
var w = Nd4j.rand(DataType.FLOAT, 2, 4, 12, 12);
Notebook.show(Charts.heatmap(Charts.heads(w, 0).get(0), "head 0", List.of("<s>","the","cat","sat","on","the","mat",".","it","was","warm","</s>")));
String gridId = Notebook.show(Charts.heatmapGrid(Charts.heads(w, 0), null, 4, "layer 0"));""",
    "table": """Tables.comparison("Linformer: ours vs paper")
    .row("time slope, standard", 1.97, "2 (O(n²))", "forward")
    .row("time slope, linformer", 1.02, "1 (O(n))", null)
    .show();
var t = tech.tablesaw.api.Table.create("numbers", tech.tablesaw.api.IntColumn.create("n", new int[] {1, 2, 3}));
String tableId = Notebook.table(t, 2);""",
    "update": """String id = Notebook.show(Charts.line("first", "x", "y", "standard", new double[] {1, 2}, new double[] {1, 2}));
Thread.sleep(200);
Notebook.update(id, Charts.line("second", "x", "y", "linformer", new double[] {1, 2}, new double[] {2, 1}));""",
}


class CountingClient(NotebookClient):
    """Counts iopub message types per cell (the saved notebook only keeps the final state)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.counts = collections.defaultdict(collections.Counter)
        self.ids = collections.defaultdict(list)

    def process_message(self, msg, cell, cell_index):
        t = msg["header"]["msg_type"]
        self.counts[cell_index][t] += 1
        if t in ("display_data", "update_display_data"):
            self.ids[cell_index].append((t, msg["content"].get("transient", {}).get("display_id")))
        return super().process_message(msg, cell, cell_index)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/viz-kernel-check.ipynb"
    nb = nbformat.v4.new_notebook()
    names = list(CELLS)
    nb.cells = [nbformat.v4.new_code_cell(CELLS[k]) for k in names]
    client = CountingClient(nb, kernel_name="java", timeout=300, allow_errors=True,
                            resources={"metadata": {"path": ROOT}})
    client.execute()
    nbformat.write(nb, out)

    failures = []

    def check(ok, what):
        print(("PASS " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    def cell(name):
        return nb.cells[names.index(name)]

    for i, name in enumerate(names):
        errs = [o for o in nb.cells[i].outputs if o.output_type == "error"]
        check(not errs, f"cell '{name}' ran without error" + (f": {errs[0].ename} {errs[0].evalue}" if errs else ""))

    text = "".join(o.get("text", "") for o in cell("detect").outputs if o.output_type == "stream")
    check("active=true kernel=JJava" in text, f"kernel detected ({text.strip()})")

    i = names.index("progress")
    outs = cell("progress").outputs
    disp = [o for o in outs if o.output_type == "display_data"]
    check(len(outs) == 1 and len(disp) == 1, f"progress: one output in the saved notebook (got {len(outs)})")
    ids = {d for _, d in client.ids[i]}
    n_upd = client.counts[i]["update_display_data"]
    check(client.counts[i]["display_data"] == 1 and len(ids) == 1,
          f"progress: 1 display_data + {n_upd} update_display_data, one display_id {ids}")
    check(3 <= n_upd <= 20, f"progress: throttled updates for ~3 s of work ({n_upd})")
    html = disp[0].data.get("text/html", "") if disp else ""
    check("✓ done" in html and "300/300" in html, "progress: final state saved (done, 300/300)")

    for name, want in (("complexity", 1), ("heatmap", 2), ("update", 1)):
        pngs = [o for o in cell(name).outputs if o.output_type == "display_data" and "image/png" in o.data]
        check(len(pngs) == want, f"{name}: {want} image/png output(s) (got {len(pngs)})")
    i = names.index("update")
    check(client.counts[i]["update_display_data"] == 1, "update: image replaced in place by update_display_data")
    upd = [o for o in cell("update").outputs if o.output_type == "display_data"]
    check(bool(upd) and "second" in upd[0].data.get("text/plain", ""), "update: saved output is the second chart")

    tables = [o for o in cell("table").outputs if o.output_type == "display_data" and "text/html" in o.data]
    check(len(tables) == 2 and "<table" in tables[0].data["text/html"] and "O(n²)" in tables[0].data["text/html"],
          "table: HTML tables displayed")
    check(len(tables) == 2 and "1 more row (" in tables[1].data["text/html"], "table: row limit honoured")

    summary = {name: dict(client.counts[names.index(name)]) for name in names}
    print(json.dumps(summary, indent=1))
    print(f"executed notebook: {out}")
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
