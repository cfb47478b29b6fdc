"""Plots the sweeps of `fscatter eval` reports as PNGs (the paper's Figure 3).

Usage::

    python bindings/python/featurescatter/plot_report.py report.json [more.json ...] \
        [--labels standard,madry,...] --out-dir plots/

writes ``accuracy_vs_epsilon.png`` and ``accuracy_vs_steps.png`` for the sweeps the reports
hold (``--sweep-eps`` and ``--sweep-steps`` of ``fscatter eval``), one curve per report, and
prints their paths. A curve is labelled by ``--labels``, else by the folder of the report's
checkpoint. Part of the ``featurescatter`` package; runs as a plain script too (it needs only
matplotlib).
"""

import argparse
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def default_label(report):
    """The folder of the evaluated checkpoint (a run's name), else the model's name."""
    checkpoint = report.get("checkpoint")
    if checkpoint:
        path = pathlib.Path(checkpoint)
        return path.parent.name or path.stem
    return report.get("model") or "model"


def plot_sweeps(curves, parameter, path):
    """Draws one sweep kind (accuracy in % against epsilon or steps) for every
    ``(label, sweep)`` in ``curves`` and saves the figure to ``path``."""
    fig, ax = plt.subplots(figsize=(4.8, 3.6), dpi=120)
    for label, sweep in curves:
        values = [p["value"] for p in sweep["points"]]
        accuracy = [p["accuracy"] for p in sweep["points"]]
        ax.plot(values, accuracy, marker="o", label=label)
    settings = curves[0][1]["settings"]
    if parameter == "epsilon":
        ax.set_xlabel("ε (%s, pixel units)" % settings.get("norm", "linf"))
        ax.set_title("Accuracy vs ε (PGD-%s)" % settings.get("steps", "?"))
    else:
        ax.set_xlabel("PGD steps")
        ax.set_xscale("log")
        ax.set_title("Accuracy vs steps (ε = %s)" % settings.get("epsilon", "?"))
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="report JSON files written by `fscatter eval --out`")
    parser.add_argument("--labels", help="comma-separated curve labels, one per report")
    parser.add_argument("--out-dir", default=".", help="folder for the PNGs")
    args = parser.parse_args(argv)
    reports = [json.loads(pathlib.Path(path).read_text()) for path in args.reports]
    labels = args.labels.split(",") if args.labels else [default_label(r) for r in reports]
    if len(labels) != len(reports):
        parser.error(f"{len(labels)} labels for {len(reports)} reports")
    by_parameter = {}
    for label, report in zip(labels, reports):
        for sweep in report.get("sweeps", []):
            by_parameter.setdefault(sweep["parameter"], []).append((label, sweep))
    if not by_parameter:
        print("no report has sweeps: run fscatter eval with --sweep-eps or --sweep-steps", file=sys.stderr)
        return 1
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for parameter, curves in by_parameter.items():
        path = out / ("accuracy_vs_%s.png" % parameter)
        plot_sweeps(curves, parameter, path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
