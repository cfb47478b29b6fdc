"""The paper's tables, one command: train every row's model from its preset, evaluate it with the paper's
columns and the honest ones after them, and print each table in the paper's layout with the paper's
figures beside ours.

Usage: bench/paper [--scale fmnist|cifar] [--tables 3a,3b,4|all] [--runs DIR] [--n 1000] [--launch "mpirun -np 4"]

Tables: 1 (white-box: Standard, Madry, Bilateral, Proposed), 2a/2b (the same on SVHN and CIFAR-100; only at
the CIFAR scale, with --svhn-dir and --cifar100-dir), 3a (perturbation: random / supervised / feature
scattering), 3b (matching: uniform / identity / OT), 4 (Sinkhorn / IPOT) and bb (Section 5.3's black-box
attacks: PGD and CW crafted on an undefended model and on a second feature-scattering model, a "Siamese"
trained with another seed, then tried on the proposed model).

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
TRANSFER_ATTACKS = ["pgd20", "pgd100", "cw20", "cw100"]
TITLES = {"clean": "Clean", "fgsm": "FGSM", "pgd20": "PGD20", "pgd100": "PGD100", "cw20": "CW20",
          "cw100": "CW100", "apgd-ce": "APGD-CE", "apgd-t": "APGD-T", "square": "Square", "worst_case": "Worst"}

# The rows' models: a preset and the flags that make the row's variant of it.
VARIANTS = {
    "standard": ("standard", []),
    "madry": ("madry", []),
    "bilateral": ("fs", ["--method", "bilateral"]),
    "fs": ("fs", []),
    "fs-siamese": ("fs", ["--seed", "1"]),
    "random": ("fs", ["--method", "random"]),
    "supervised": ("fs", ["--method", "supervised"]),
    "uniform": ("fs", ["--matching", "uniform"]),
    "identity": ("fs", ["--matching", "identity"]),
    "ipot": ("fs", ["--solver", "ipot"]),
}

PROPOSED = [90.0, 78.4, 70.5, 68.6, 62.4, 60.6]


class Table:
    """One of the paper's tables: rows of (name, variant, the paper's figures) on one data set; a
    black-box table's variants are the transfer sources, all attacking the proposed model."""

    def __init__(self, title, label, rows, data="main", black_box=False):
        self.title, self.label, self.rows, self.data, self.black_box = title, label, rows, data, black_box

    @property
    def columns(self):
        return TRANSFER_ATTACKS if self.black_box else PAPER_COLUMNS + HONEST_COLUMNS

    def models(self):
        """The (variant, data) pairs to train: the rows', and for a black-box table the target too."""
        pairs = [(variant, self.data) for _, variant, _ in self.rows]
        return [("fs", self.data)] + pairs if self.black_box else pairs


# The paper's figures (Zhang & Wang, NeurIPS 2019), CIFAR-10 at ε = 8/255 unless the table says otherwise.
TABLES = {
    "1": Table("Table 1: white-box attacks", "Models", [
        ("Standard", "standard", [95.6, 36.9, 0.0, 0.0, 0.0, 0.0]),
        ("Madry", "madry", [85.7, 54.9, 44.9, 44.8, 45.7, 45.4]),
        ("Bilateral", "bilateral", [91.2, 70.7, 57.5, 55.2, 56.2, 53.8]),
        ("Proposed", "fs", PROPOSED),
    ]),
    "2a": Table("Table 2(a): SVHN", "Models", [
        ("Standard", "standard", [97.2, 53.0, 0.3, 0.1, 0.3, 0.1]),
        ("Madry", "madry", [93.9, 68.4, 47.9, 46.0, 48.7, 47.3]),
        ("Bilateral", "bilateral", [94.1, 69.8, 53.9, 50.3, None, 48.9]),
        ("Proposed", "fs", [96.2, 83.5, 62.9, 52.0, 61.3, 50.8]),
    ], data="svhn"),
    "2b": Table("Table 2(b): CIFAR-100", "Models", [
        ("Standard", "standard", [79.0, 10.0, 0.0, 0.0, 0.0, 0.0]),
        ("Madry", "madry", [59.9, 28.5, 22.6, 22.3, 23.2, 23.0]),
        ("Bilateral", "bilateral", [68.2, 60.8, 26.7, 25.3, None, 22.1]),
        ("Proposed", "fs", [73.9, 61.0, 47.2, 46.2, 34.6, 30.6]),
    ], data="cifar100"),
    "3a": Table("Table 3(a): importance of feature scattering", "Perturb", [
        ("Random", "random", [95.3, 75.7, 29.9, 18.3, 34.7, 26.2]),
        ("Supervised", "supervised", [86.9, 64.4, 56.0, 54.5, 51.2, 50.3]),
        ("FeaScatter", "fs", PROPOSED),
    ]),
    "3b": Table("Table 3(b): impacts of different matching schemes", "Match", [
        ("Uniform", "uniform", [90.0, 71.0, 57.1, 54.7, 53.2, 51.4]),
        ("Identity", "identity", [87.4, 66.3, 57.5, 56.0, 52.4, 50.6]),
        ("OT", "fs", PROPOSED),
    ]),
    "4": Table("Table 4: impacts of OT solvers", "OT-solver", [
        ("Sinkhorn", "fs", PROPOSED),
        ("IPOT", "ipot", [89.9, 77.9, 69.9, 67.3, 59.6, 56.9]),
    ]),
    "bb": Table("Black-box attacks on the proposed model (Section 5.3)", "B-Attack", [
        ("Undefended", "standard", [89.0, 88.7, 88.9, 88.8]),
        ("Siamese", "fs-siamese", [81.6, 81.0, 80.3, 79.8]),
    ], black_box=True),
}
ALIASES = {"2": ["2a", "2b"], "all": list(TABLES)}

# Per scale: each data set's preset family (the paper's own at the CIFAR scale) and the ε of every attack.
SCALES = {
    "fmnist": {"eps": "0.1", "data": {"main": ("fashion-mnist", "fmnist-smallcnn-{}")}},
    "cifar": {"eps": str(8 / 255), "data": {"main": ("cifar10", "paper-cifar10-{}"),
                                              "svhn": ("svhn", "paper-svhn-{}"),
                                              "cifar100": ("cifar100", "paper-cifar100-{}")}},
}

ATTACKS = "fgsm,pgd10,pgd20,pgd40,pgd100,cw10,cw20,cw40,cw100,apgd-ce,apgd-t,square1000"


def run(command, log):
    """Runs a command with its standard error in `log`; exits with its message when it fails."""
    with open(log, "w") as stderr:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=ENVIRONMENT,
                                check=False)
    if result.returncode != 0:
        sys.exit(f"{shlex.join(map(str, command))} failed; see {log}")


def folder_of(runs, variant, data):
    return runs / (variant if data == "main" else f"{data}-{variant}")


def data_flags(args, data):
    dataset = SCALES[args.scale]["data"][data][0]
    directory = args.data_dirs.get(data)
    return ["--dataset", dataset] + (["--data-dir", directory] if directory else [])


def train(args, variant, data, folder):
    """Trains `variant` into `folder` unless its summary exists; returns the wall seconds spent (0 if skipped)."""
    if (folder / "summary.json").exists():
        return 0.0
    kind, flags = VARIANTS[variant]
    preset = SCALES[args.scale]["data"][data][1].format(kind)
    command = [*args.launch, args.fscatter, "train", "--preset", preset, *flags, *data_flags(args, data),
               "--out", folder]
    if (folder / "checkpoint.fsc").exists():
        command = [*args.launch, args.fscatter, "train", "--resume", folder]
    start = time.monotonic()
    run(command, folder.with_suffix(".train.log"))
    return time.monotonic() - start


def evaluate(args, data, folder, source=None):
    """Evaluates the checkpoint in `folder` (white-box, or with the attacks crafted on `source`'s model)
    unless its report exists; returns the report."""
    report = folder.with_suffix(f".transfer-{source.name}.report.json" if source else ".report.json")
    if not report.exists():
        attacks = (["--transfer-from", source / "checkpoint.fsc", "--transfer-attacks", ",".join(TRANSFER_ATTACKS)]
                   if source else ["--attacks", ATTACKS])
        command = [*args.launch, args.fscatter, "eval", "--checkpoint", folder / "checkpoint.fsc",
                   *data_flags(args, data), "--eps", SCALES[args.scale]["eps"], "--n", str(args.n), *attacks,
                   "--worst-case", "none", "--out", report]
        run(command, report.with_suffix(".log"))
    return json.loads(report.read_text())


def cells(report, columns, black_box):
    accuracy = report["accuracy"]
    if black_box:
        return [accuracy.get(f"transfer-{column}") for column in columns]
    square = next((value for name, value in accuracy.items() if name.startswith("square")), None)
    values = {**accuracy, "square": square}
    return [values.get(column) for column in columns]


def number(value):
    return "—" if value is None else f"{value:.1f}"


def table(key, measured, args):
    """The table in the paper's layout: our rows (with each model's training and evaluation seconds),
    then the paper's."""
    spec = TABLES[key]
    titles = [TITLES[c] for c in spec.columns]
    honest = len(spec.columns) - len(PAPER_COLUMNS) if not spec.black_box else 0
    lines = [f"### {spec.title}", "",
             f"| {spec.label} | " + " | ".join(titles) + " | train s | eval s |",
             "|---|" + "---:|" * (len(titles) + 2)]
    for name, variant, _ in spec.rows:
        report, seconds = measured[(variant, spec.data, spec.black_box)]
        lines.append(f"| {name} | " + " | ".join(number(v) for v in cells(report, spec.columns, spec.black_box)) +
                     f" | {seconds:.0f} | {report['seconds']:.0f} |")
    where = "paper (CIFAR-10)" if args.scale == "fmnist" else "paper"
    lines.append(f"| *{where}* | " + " | ".join("" for _ in titles) + " | | |")
    for name, _, paper in spec.rows:
        lines.append(f"| *{name}* | " + " | ".join(number(v) for v in paper) +
                     " | " + " | ".join("" for _ in range(honest)) + (" | " if honest else "") + "| |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="fmnist")
    parser.add_argument("--tables", default="3a,3b,4",
                        help=f"comma-separated, of {', '.join(TABLES)}, 2 (= 2a,2b) or all")
    parser.add_argument("--runs", type=pathlib.Path, help="folder of the rows' runs (default runs/paper-SCALE)")
    parser.add_argument("--n", type=int, default=1000, help="test images each model is evaluated on")
    parser.add_argument("--data-dir", help="the data set's folder (CIFAR-10 at --scale cifar)")
    parser.add_argument("--svhn-dir", help="the SVHN .mat files' folder (Table 2a)")
    parser.add_argument("--cifar100-dir", help="the CIFAR-100 binary files' folder (Table 2b)")
    parser.add_argument("--launch", default="", help='a prefix for every fscatter command, e.g. "mpirun -np 4"')
    parser.add_argument("--fscatter", default=os.environ.get("FSCATTER", str(ROOT / ".build" / "release" / "fscatter")))
    args = parser.parse_args()
    keys = [key for item in args.tables.split(",") for key in ALIASES.get(item, [item])]
    unknown = [k for k in keys if k not in TABLES]
    if unknown:
        parser.error(f"unknown tables {unknown}; known: {', '.join(TABLES)}, 2, all")
    args.data_dirs = {"main": args.data_dir, "svhn": args.svhn_dir, "cifar100": args.cifar100_dir}
    if args.scale == "fmnist":
        keys = [k for k in keys if TABLES[k].data == "main"] if "all" in args.tables.split(",") else keys
        if any(TABLES[k].data != "main" for k in keys):
            parser.error("Table 2 is about SVHN and CIFAR-100: run it at --scale cifar with --svhn-dir and "
                         "--cifar100-dir (at --scale fmnist it would repeat Table 1)")
    else:
        for data, flag in [("main", "--data-dir"), ("svhn", "--svhn-dir"), ("cifar100", "--cifar100-dir")]:
            if any(TABLES[k].data == data for k in keys) and not args.data_dirs[data]:
                parser.error(f"--scale cifar needs {flag} for tables {[k for k in keys if TABLES[k].data == data]}")
    args.launch = shlex.split(args.launch)
    runs = args.runs or ROOT / "runs" / f"paper-{args.scale}"
    runs.mkdir(parents=True, exist_ok=True)

    trained = {}
    for key in keys:
        for variant, data in TABLES[key].models():
            if (variant, data) in trained:
                continue
            folder = folder_of(runs, variant, data)
            train(args, variant, data, folder)
            trained[(variant, data)] = json.loads((folder / "summary.json").read_text())["train_seconds"]
            print(f"{folder.name}: trained ({trained[(variant, data)]:.0f} s)", file=sys.stderr, flush=True)
    measured = {}
    for key in keys:
        spec = TABLES[key]
        for _, variant, _ in spec.rows:
            if (variant, spec.data, spec.black_box) in measured:
                continue
            if spec.black_box:
                report = evaluate(args, spec.data, folder_of(runs, "fs", spec.data), folder_of(runs, variant, spec.data))
            else:
                report = evaluate(args, spec.data, folder_of(runs, variant, spec.data))
            measured[(variant, spec.data, spec.black_box)] = (report, trained[(variant, spec.data)])
            print(f"{folder_of(runs, variant, spec.data).name}: evaluated{' as a source' if spec.black_box else ''} "
                  f"({report['seconds']:.0f} s)", file=sys.stderr, flush=True)
    print(f"<!-- bench/paper --scale {args.scale} --tables {args.tables} --n {args.n} -->")
    for key in keys:
        print()
        print(table(key, measured, args))


if __name__ == "__main__":
    main()
