#!/usr/bin/env python3
"""Run the lab's notebooks headlessly through the real Java kernel and check them.

Each notebook is executed top to bottom with nbclient in a fresh `java` kernel (the
kernelspec environment/setup.sh registers), with the kernel's working directory set to the
notebook's folder, as JupyterLab does. A notebook fails when
  - any cell raises an error (the cell's index and the error are shown),
  - it produced no image/png output anywhere (every lab notebook plots something),
  - the whole run, kernel start included, took longer than its time limit
    (120 s in quick mode, 600 s with --full; a hung run is stopped a little after that).
The executed copy and an HTML rendering of every notebook, failed ones included, are
written to build/notebooks/<name>.ipynb and build/notebooks/<name>.html, and the kernel
process's own output (JJava's log, any JVM crash report) to build/notebooks/<name>.kernel.log.

Quick mode (the default) starts the kernel with ETLAB_QUICK=1, which the notebooks read
(dev.etlab.Lab.quick()) to shrink their work to test sizes; --full runs them at full size.

Usage:
  run_notebooks.py [--full] [--smoke] [--timeout S] [NOTEBOOK.ipynb ...]
  run_notebooks.py --self-test
Without NOTEBOOKs: every notebooks/*.ipynb (at least one must exist).
  --smoke      also run environment/smoke/smoke.ipynb (as if it were in notebooks/)
  --timeout S  per-notebook limit in seconds instead of 120 / 600
  --self-test  check the runner itself: a passing notebook and ones that must fail
               (a cell error, no image, over the time limit)
Exit status: 0 when every notebook passed, 1 when any failed, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = ROOT / "environment"
NOTEBOOK_DIR = ROOT / "notebooks"
SMOKE = ENV_DIR / "smoke" / "smoke.ipynb"
OUT_DIR = ROOT / "build" / "notebooks"
KERNEL = "java"
QUICK_LIMIT_S = 120
FULL_LIMIT_S = 600
# nbclient stops a run this long after the limit (and the runner reports it as over time).
GRACE_S = 15
KERNEL_START_TIMEOUT_S = 90

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def jupyter_environment() -> None:
    """The project's Jupyter folders, as environment/common.sh sets them (for direct runs)."""
    os.environ.setdefault("JUPYTER_DATA_DIR", str(ENV_DIR / ".jupyter" / "data"))
    os.environ.setdefault("JUPYTER_RUNTIME_DIR", str(ENV_DIR / ".jupyter" / "runtime"))
    os.environ.setdefault("JUPYTER_CONFIG_DIR", str(ENV_DIR / ".jupyter" / "config"))
    # Our kernelspec (in JUPYTER_DATA_DIR) before the venv's own plain `java` one.
    os.environ["JUPYTER_PREFER_ENV_PATH"] = "0"
    os.environ.setdefault("MALLOC_ARENA_MAX", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see environment/common.sh
    os.environ.setdefault("ETLAB_ROOT", str(ROOT))
    Path(os.environ["JUPYTER_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)


@dataclass
class Job:
    path: Path          # the notebook
    run_dir: Path       # the kernel's working directory
    name: str           # output name (build/notebooks/<name>.ipynb)


@dataclass
class Result:
    job: Job
    mode: str
    limit_s: int
    seconds: float = 0.0
    images: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def count_images(nb) -> int:
    return sum(1 for cell in nb.cells if cell.get("cell_type") == "code"
               for out in cell.get("outputs", [])
               if out.get("output_type") in ("display_data", "execute_result")
               and "image/png" in out.get("data", {}))


def first_error(nb) -> tuple[int, str] | None:
    """(index among all cells, 'Name: value' of the error) of the first cell with an error output."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = ANSI.sub("", "\n".join(out.get("traceback", []))).strip()
                head = f"{out.get('ename', '?')}: {ANSI.sub('', str(out.get('evalue', '')))}".strip()
                return i, head + (("\n" + tb) if tb and tb not in head else "")
    return None


def indent(text: str, prefix: str = "      ", max_lines: int = 25) -> str:
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines)"]
    return "\n".join(prefix + line for line in lines)


async def execute(job: Job, quick: bool, limit_s: int) -> Result:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    result = Result(job, "quick" if quick else "full", limit_s)
    nb = nbformat.read(job.path, as_version=4)
    # The kernel inherits this process's environment (jupyter_client copies os.environ).
    if quick:
        os.environ["ETLAB_QUICK"] = "1"
    else:
        os.environ.pop("ETLAB_QUICK", None)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=limit_s + 2 * GRACE_S,       # per cell; the watchdog below normally acts first
        startup_timeout=KERNEL_START_TIMEOUT_S,
        resources={"metadata": {"path": str(job.run_dir)}},
        allow_errors=False,
        record_timing=True,
        shutdown_kernel="immediate",
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = OUT_DIR / f"{job.name}.kernel.log"
    km = client.km = client.create_kernel_manager()
    stopped = []

    async def watchdog() -> None:
        # The whole run, kernel start included, is bounded: past the limit (plus a grace
        # period) the kernel's process group is killed, and nbclient then stops with
        # DeadKernelError. (Cancelling nbclient instead can leave the kernel JVM running.)
        await asyncio.sleep(limit_s + GRACE_S)
        stopped.append(time.monotonic() - t0)
        await km.shutdown_kernel(now=True)

    t0 = time.monotonic()
    guard = asyncio.ensure_future(watchdog())
    with open(log_path, "wb") as log:
        try:
            # The kernel process's own output (JJava's log lines, a JVM crash report) goes to
            # the log file, not the console.
            await client.async_execute(stdout=log, stderr=subprocess.STDOUT)
        except CellExecutionError:
            pass  # reported below from the notebook's outputs
        except (DeadKernelError, CellTimeoutError) as e:
            if not stopped:
                result.problems.append(f"the kernel died or hung: {type(e).__name__}: {e}")
        except RuntimeError as e:  # e.g. the kernel failed to start within startup_timeout
            result.problems.append(f"kernel `{KERNEL}` failed: {e} (run environment/setup.sh?)")
        except Exception as e:  # noqa: BLE001 - anything else is a failure of this notebook
            result.problems.append(f"runner error: {type(e).__name__}: {e}\n{traceback.format_exc()}")
        finally:
            guard.cancel()
            try:  # never leave a kernel behind
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
    if stopped:
        result.problems.append(f"stopped: still running {limit_s + GRACE_S} s after the start "
                               f"(limit {limit_s} s)")
    result.seconds = time.monotonic() - t0

    err = first_error(nb)
    if err:
        index, text = err
        result.problems.insert(0, f"cell {index} raised an error:\n{indent(text)}")
    result.images = count_images(nb)
    if result.images == 0:
        result.problems.append("no image/png output anywhere in the notebook")
    if result.seconds > limit_s and not any(p.startswith("stopped:") for p in result.problems):
        result.problems.append(f"took {result.seconds:.0f} s, over the {limit_s} s limit ({result.mode} mode)")
    if not result.ok:
        result.problems.append(f"kernel log: {os.path.relpath(log_path, ROOT)}")
    save(nb, job.name)
    return result


def save(nb, name: str) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT_DIR / f"{name}.ipynb")
    try:
        html, _ = HTMLExporter().from_notebook_node(nb)
        (OUT_DIR / f"{name}.html").write_text(html, encoding="utf-8")
    except Exception as e:  # noqa: BLE001 - the HTML is a convenience; never hide the real result
        print(f"[notebooks] warning: could not render {name}.html: {e}", file=sys.stderr)


def run_all(jobs: list[Job], quick: bool, limit_s: int) -> list[Result]:
    results = []
    for job in jobs:
        rel = os.path.relpath(job.path, ROOT)
        print(f"[notebooks] {rel}: running ({'quick' if quick else 'full'} mode, limit {limit_s} s) ...", flush=True)
        r = asyncio.run(execute(job, quick, limit_s))
        status = "ok" if r.ok else "FAILED"
        print(f"[notebooks] {rel}: {status} in {r.seconds:.1f} s, {r.images} image(s)", flush=True)
        for p in r.problems:
            print(f"    - {p}", flush=True)
        results.append(r)
    return results


def summary(results: list[Result]) -> None:
    rows = [("notebook", "mode", "seconds", "images", "status")]
    for r in results:
        rows.append((os.path.relpath(r.job.path, ROOT), r.mode, f"{r.seconds:.1f}", str(r.images),
                     "ok" if r.ok else "FAILED"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    print()
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i in (0, 1, 4) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    passed = sum(r.ok for r in results)
    print(f"\nExecuted copies and HTML: {os.path.relpath(OUT_DIR, ROOT)}/ (in {ROOT})")
    print(f"notebooks: {passed} passed, {len(results) - passed} failed")


def write_results(results: list[Result]) -> None:
    """build/notebooks/results.json: one entry per notebook (read by environment/test.sh)."""
    import json

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.json").write_text(json.dumps([
        {"notebook": os.path.relpath(r.job.path, ROOT), "mode": r.mode, "seconds": round(r.seconds, 1),
         "images": r.images, "ok": r.ok, "problems": r.problems} for r in results], indent=2) + "\n")


def jobs_for(paths: list[str], smoke: bool) -> list[Job]:
    jobs = []
    if paths:
        for p in paths:
            path = Path(p).resolve()
            if not path.is_file() or path.suffix != ".ipynb":
                sys.exit(f"[notebooks] ERROR: {p}: not a notebook file (.ipynb)")
            jobs.append(Job(path, path.parent, path.stem))
    else:
        found = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
        if not found:
            print(f"[notebooks] ERROR: no notebooks found: {NOTEBOOK_DIR}/*.ipynb matches nothing", file=sys.stderr)
            sys.exit(1)
        jobs = [Job(p, p.parent, p.stem) for p in found]
    if smoke:
        # The smoke notebook's first cell is the standard one, written for notebooks/.
        jobs.append(Job(SMOKE, NOTEBOOK_DIR, "smoke"))
    names = [j.name for j in jobs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit(f"[notebooks] ERROR: two notebooks would both be saved as build/notebooks/{sorted(dupes)[0]}.ipynb")
    return jobs


# ---------------------------------------------------------------- self-test

def kernel_pids() -> set[int]:
    """Processes running this project's JJava (the launcher or the kernel JVM)."""
    import psutil  # a dependency of jupyter_server/ipykernel, so in the venv

    venv = str(ENV_DIR / ".venv")
    pids = set()
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(venv in part and "jjava" in part for part in (p.info["cmdline"] or [])):
                pids.add(p.info["pid"])
        except (psutil.Error, TypeError):
            pass
    return pids


def self_test() -> int:
    """Runs generated notebooks that must pass or fail for a known reason."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    first_cell = SMOKE_FIRST_CELL
    picture = ("var img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
               "display(img);")
    cases = {
        # name: (cells, limit, expected substring of the problems, or None for a pass)
        "selftest-pass": ([first_cell, picture], 60, None),
        "selftest-error": ([first_cell, picture, 'int before = 1;', 'throw new IllegalStateException("deliberate");'],
                           60, "cell 3 raised an error"),
        "selftest-noimage": ([first_cell, 'System.out.println("no picture here");'], 60, "no image/png output"),
        "selftest-timeout": ([first_cell, picture, "Thread.sleep(60_000);"], 20, "stopped: still running"),
    }
    work = Path(tempfile.mkdtemp(prefix="etlab-runner-selftest-"))
    failures = []
    before = kernel_pids()
    try:
        for name, (cells, limit, expected) in cases.items():
            nb = new_notebook(cells=[new_code_cell(c) for c in cells])
            nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Java", "language": "java"}
            path = work / f"{name}.ipynb"
            nbformat.write(nb, path)
            # Run from notebooks/ so the standard first cell's relative paths resolve.
            job = Job(path, NOTEBOOK_DIR, name)
            print(f"[self-test] {name}: expecting {'a pass' if expected is None else repr(expected)}", flush=True)
            r = asyncio.run(execute(job, quick=True, limit_s=limit))
            text = "\n".join(r.problems)
            good = r.ok if expected is None else (not r.ok and expected in text)
            print(f"[self-test] {name}: {'as expected' if good else 'UNEXPECTED'} "
                  f"({r.seconds:.1f} s, {r.images} image(s))" + (f"\n{indent(text)}" if text else ""), flush=True)
            if not good:
                failures.append(name)
            left = kernel_pids() - before
            for _ in range(20):  # a killed kernel can take a moment to disappear
                if not left:
                    break
                time.sleep(0.5)
                left = kernel_pids() - before
            if left:
                print(f"[self-test] {name}: UNEXPECTED: kernel processes left running: {sorted(left)}", flush=True)
                failures.append(name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for name in cases:
            for ext in ("ipynb", "html", "kernel.log"):
                (OUT_DIR / f"{name}.{ext}").unlink(missing_ok=True)
    print(f"runner self-test: {len(cases) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


SMOKE_FIRST_CELL = """\
// Loads the lab. Build it first: environment/setup.sh (or `mvn -DskipTests package` in the project root).
%classpath ../lib/target/etlab.jar ../lib/target/dependency/*.jar
%load etlab-setup.jsh"""


def check_kernelspec() -> None:
    """Exits unless the `java` kernelspec Jupyter will use is the one setup.sh wrote."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        spec = None
    if spec is None or "etlab" not in (spec.metadata or {}):
        where = f" (found {spec.resource_dir}, not the lab's)" if spec else ""
        sys.exit(f"[notebooks] ERROR: the lab's `{KERNEL}` kernelspec is not installed{where}: "
                 "run environment/setup.sh")


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Run the lab's notebooks headlessly through the `java` kernel and check them.",
        epilog="Writes build/notebooks/<name>.ipynb and .html for every notebook run.")
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    ap.add_argument("--full", action="store_true", help="full size: no ETLAB_QUICK, 600 s per notebook")
    ap.add_argument("--smoke", action="store_true", help="also run environment/smoke/smoke.ipynb")
    ap.add_argument("--timeout", type=int, metavar="S", help="per-notebook limit in seconds")
    ap.add_argument("--self-test", action="store_true", help="check the runner's pass and failure paths")
    args = ap.parse_args()

    jupyter_environment()
    check_kernelspec()
    if args.self_test:
        return self_test()
    limit = args.timeout or (FULL_LIMIT_S if args.full else QUICK_LIMIT_S)
    if limit <= 0:
        ap.error("--timeout must be positive")
    jobs = jobs_for(args.notebooks, args.smoke)
    results = run_all(jobs, quick=not args.full, limit_s=limit)
    summary(results)
    write_results(results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
