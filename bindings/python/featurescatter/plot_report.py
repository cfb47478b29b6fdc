"""Plots the sweeps of an `fscatter eval` report as PNGs (the paper's Figure 3).

Usage::

    python bindings/python/featurescatter/plot_report.py report.json --out-dir plots/

writes ``accuracy_vs_epsilon.png`` and ``accuracy_vs_steps.png`` for the sweeps the report
holds (``--sweep-eps`` and ``--sweep-steps`` of ``fscatter eval``), and prints their paths.
Part of the ``featurescatter`` package; runs as a plain script too (it needs only matplotlib).
"""

import argparse
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_sweep(report, sweep, path):
    """Draws one sweep (accuracy in % against epsilon or steps) and saves it to ``path``."""
    values = [p["value"] for p in sweep["points"]]
    accuracy = [p["accuracy"] for p in sweep["points"]]
    fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=120)
    ax.plot(values, accuracy, marker="o", label=report.get("model") or "model")
    if sweep["parameter"] == "epsilon":
        ax.set_xlabel("ε (%s, pixel units)" % sweep["settings"].get("norm", "linf"))
        ax.set_title("Accuracy vs ε (PGD-%s)" % sweep["settings"].get("steps", "?"))
    else:
        ax.set_xlabel("PGD steps")
        ax.set_xscale("log")
        ax.set_title("Accuracy vs steps (ε = %s)" % sweep["settings"].get("epsilon", "?"))
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="report JSON written by `fscatter eval --out`")
    parser.add_argument("--out-dir", default=".", help="folder for the PNGs")
    args = parser.parse_args(argv)
    report = json.loads(pathlib.Path(args.report).read_text())
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sweep in report.get("sweeps", []):
        path = out / ("accuracy_vs_%s.png" % sweep["parameter"])
        plot_sweep(report, sweep, path)
        written.append(str(path))
    if not written:
        print("the report has no sweeps: run fscatter eval with --sweep-eps or --sweep-steps", file=sys.stderr)
        return 1
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
