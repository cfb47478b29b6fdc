"""The paper's tables, one command: train every row's model from its preset, evaluate it with the paper's
columns and the honest ones after them, and print each table in the paper's layout with the paper's
figures beside ours.

Usage: bench/paper [--scale fmnist|cifar] [--tables 3a,3b,4] [--runs DIR] [--n 1000] [--launch "mpirun -np 4"]

Resumable: a model whose checkpoint and summary exist is not trained again, a report that exists is not
evaluated again, so a killed run continues where it stopped. `--scale fmnist` runs every table on
Fashion-MNIST with SmallCNN (ε = 0.1, 5 epochs: the fmnist-smallcnn-* presets); `--scale cifar` runs the
paper's own presets (WRN-28-10, 200 epochs; for users with time or ranks: `--launch` prefixes every
fscatter command, e.g. with `mpirun -np 16`). The paper's figures are CIFAR-10's (Table 2: SVHN and
CIFAR-100), so at the fmnist scale they are a reference for the shape of each table, not for its values.
"""

import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENVIRONMENT = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")

PAPER_COLUMNS = ["clean", "fgsm", "pgd20", "pgd100", "cw20", "cw100"]
HONEST_COLUMNS = ["apgd-ce", "apgd-t", "square", "worst_case"]
TITLES = {"clean": "Clean", "fgsm": "FGSM", "pgd20": "PGD20", "pgd100": "PGD100", "cw20": "CW20",
          "cw100": "CW100", "apgd-ce": "APGD-CE", "apgd-t": "APGD-T", "square": "Square", "worst_case": "Worst"}

# The rows' models: a preset and the flags that make the row's variant of it.
VARIANTS = {
    "standard": ("standard", []),
    "madry": ("madry", []),
    "fs": ("fs", []),
    "random": ("fs", ["--method", "random"]),
    "supervised": ("fs", ["--method", "supervised"]),
    "uniform": ("fs", ["--matching", "uniform"]),
    "identity": ("fs", ["--matching", "identity"]),
    "ipot": ("fs", ["--solver", "ipot"]),
}

# The paper's figures (Zhang & Wang, NeurIPS 2019), CIFAR-10 at ε = 8/255 unless the table says otherwise.
TABLES = {
    "1": ("Table 1: white-box attacks", "Models", [
        ("Standard", "standard", [95.6, 36.9, 0.0, 0.0, 0.0, 0.0]),
        ("Madry", "madry", [85.7, 54.9, 44.9, 44.8, 45.7, 45.4]),
        ("Proposed", "fs", [90.0, 78.4, 70.5, 68.6, 62.4, 60.6]),
    ]),
    "3a": ("Table 3(a): importance of feature scattering", "Perturb", [
        ("Random", "random", [95.3, 75.7, 29.9, 18.3, 34.7, 26.2]),
        ("Supervised", "supervised", [86.9, 64.4, 56.0, 54.5, 51.2, 50.3]),
        ("FeaScatter", "fs", [90.0, 78.4, 70.5, 68.6, 62.4, 60.6]),
    ]),
    "3b": ("Table 3(b): impacts of different matching schemes", "Match", [
        ("Uniform", "uniform", [90.0, 71.0, 57.1, 54.7, 53.2, 51.4]),
        ("Identity", "identity", [87.4, 66.3, 57.5, 56.0, 52.4, 50.6]),
        ("OT", "fs", [90.0, 78.4, 70.5, 68.6, 62.4, 60.6]),
    ]),
    "4": ("Table 4: impacts of OT solvers", "OT-solver", [
        ("Sinkhorn", "fs", [90.0, 78.4, 70.5, 68.6, 62.4, 60.6]),
        ("IPOT", "ipot", [89.9, 77.9, 69.9, 67.3, 59.6, 56.9]),
    ]),
}

SCALES = {
    "fmnist": {"presets": "fmnist-smallcnn-{}", "eps": "0.1", "data": []},
    "cifar": {"presets": "paper-cifar10-{}", "eps": str(8 / 255), "data": []},
}

ATTACKS = "fgsm,pgd10,pgd20,pgd40,pgd100,cw10,cw20,cw40,cw100,apgd-ce,apgd-t,square1000"


def run(command, log):
    """Runs a command with its standard error in `log`; exits with its message when it fails."""
    with open(log, "w") as stderr:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=ENVIRONMENT,
                                check=False)
    if result.returncode != 0:
        sys.exit(f"{shlex.join(map(str, command))} failed; see {log}")


def train(args, variant, folder):
    """Trains `variant` into `folder` unless its summary exists; returns the wall seconds spent (0 if skipped)."""
    if (folder / "summary.json").exists():
        return 0.0
    preset, flags = VARIANTS[variant]
    scale = SCALES[args.scale]
    command = [*args.launch, args.fscatter, "train", "--preset", scale["presets"].format(preset), *flags,
               *args.data, "--out", folder]
    if (folder / "checkpoint.fsc").exists():
        command = [*args.launch, args.fscatter, "train", "--resume", folder]
    start = time.monotonic()
    run(command, folder.with_suffix(".train.log"))
    return time.monotonic() - start


def evaluate(args, folder):
    """Evaluates the checkpoint in `folder` unless its report exists; returns the report."""
    report = folder.with_suffix(".report.json")
    if not report.exists():
        command = [*args.launch, args.fscatter, "eval", "--checkpoint", folder / "checkpoint.fsc", *args.data,
                   "--eps", SCALES[args.scale]["eps"], "--n", str(args.n), "--attacks", ATTACKS,
                   "--worst-case", "none", "--out", report]
        run(command, folder.with_suffix(".eval.log"))
    return json.loads(report.read_text())


def cells(report):
    accuracy = report["accuracy"]
    square = next((value for name, value in accuracy.items() if name.startswith("square")), None)
    values = {**accuracy, "square": square}
    return [values.get(column) for column in PAPER_COLUMNS + HONEST_COLUMNS]


def number(value):
    return "—" if value is None else f"{value:.1f}"


def table(key, measured, args):
    title, label, rows = TABLES[key]
    columns = [TITLES[c] for c in PAPER_COLUMNS + HONEST_COLUMNS]
    lines = [f"### {title}", "",
             f"| {label} | " + " | ".join(columns) + " | train s | eval s |",
             "|---|" + "---:|" * (len(columns) + 2)]
    for name, variant, _ in rows:
        report, seconds = measured[variant]
        values = cells(report)
        lines.append(f"| {name} | " + " | ".join(number(v) for v in values) +
                     f" | {seconds['train']:.0f} | {report['seconds']:.0f} |")
    where = "CIFAR-10" if args.scale == "fmnist" else "the paper's own setting"
    lines.append(f"| *paper ({where})* | " + " | ".join("" for _ in columns) + " | | |")
    for name, _, paper in rows:
        lines.append(f"| *{name}* | " + " | ".join(number(v) for v in paper) +
                     " | " + " | ".join("" for _ in HONEST_COLUMNS) + " | | |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="fmnist")
    parser.add_argument("--tables", default="3a,3b,4", help=f"comma-separated, of {', '.join(TABLES)}")
    parser.add_argument("--runs", type=pathlib.Path, help="folder of the rows' runs (default runs/paper-SCALE)")
    parser.add_argument("--n", type=int, default=1000, help="test images each model is evaluated on")
    parser.add_argument("--data-dir", help="the data set's folder (CIFAR-10 at --scale cifar)")
    parser.add_argument("--launch", default="", help='a prefix for every fscatter command, e.g. "mpirun -np 4"')
    parser.add_argument("--fscatter", default=os.environ.get("FSCATTER", str(ROOT / ".build" / "release" / "fscatter")))
    args = parser.parse_args()
    keys = args.tables.split(",")
    unknown = [k for k in keys if k not in TABLES]
    if unknown:
        parser.error(f"unknown tables {unknown}; known: {', '.join(TABLES)}")
    if args.scale == "cifar" and not args.data_dir:
        parser.error("--scale cifar needs --data-dir (the CIFAR-10 binary batches)")
    args.launch = shlex.split(args.launch)
    args.data = ["--data-dir", args.data_dir] if args.data_dir else []
    runs = args.runs or ROOT / "runs" / f"paper-{args.scale}"
    runs.mkdir(parents=True, exist_ok=True)

    variants = list(dict.fromkeys(variant for key in keys for _, variant, _ in TABLES[key][2]))
    measured = {}
    for variant in variants:
        folder = runs / variant
        spent = train(args, variant, folder)
        summary = json.loads((folder / "summary.json").read_text())
        report = evaluate(args, folder)
        measured[variant] = (report, {"train": summary["train_seconds"], "wall": spent})
        print(f"{variant}: trained ({summary['train_seconds']:.0f} s), evaluated ({report['seconds']:.0f} s)",
              file=sys.stderr, flush=True)
    print(f"<!-- bench/paper --scale {args.scale} --tables {args.tables} --n {args.n} -->")
    for key in keys:
        print()
        print(table(key, measured, args))


if __name__ == "__main__":
    main()
