"""fscatter eval and attack: the report, its keys, the table, adversarial .npy and plots."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run


@pytest.fixture(scope="module")
def checkpoint(fscatter, tmp_path_factory):
    out = tmp_path_factory.mktemp("evalrun") / "run"
    run(fscatter, "train", "--method", "standard", "--model", "mlp", "--epochs", "1", "--train-subset", "2000",
        "--test-subset", "100", "--seed", "2", "--out", out)
    return str(out / "checkpoint.fsc")


def test_eval_writes_report_with_accuracy_per_attack_and_worst_case(fscatter, checkpoint, tmp_path):
    report_path = tmp_path / "report.json"
    result = run(fscatter, "eval", "--checkpoint", checkpoint, "--eps", "0.1", "--n", "100",
                 "--attacks", "fgsm,pgd10,cw10", "--worst-case", "apgd-ce,square100",
                 "--sweep-eps", "0.05,0.5", "--sweep-steps", "1,10", "--out", report_path)
    report = json.loads(report_path.read_text())
    accuracy = report["accuracy"]
    assert set(accuracy) == {"clean", "fgsm", "pgd10", "cw10", "worst_case"}
    assert all(accuracy["worst_case"] <= accuracy[k] for k in ("clean", "fgsm", "pgd10", "cw10"))
    settings = {a["name"]: a["settings"] for a in report["attacks"]}
    assert settings["pgd10"]["steps"] == "10" and settings["cw10"]["kappa"] == "50.0"
    assert report["worst_case_attacks"] == ["fgsm", "pgd10", "cw10", "apgd-ce", "square100"]
    assert {f["check"] for f in report["gradient_masking"]} >= {"zero gradients", "more steps raise accuracy"}
    assert [s["parameter"] for s in report["sweeps"]] == ["epsilon", "steps"]
    assert report["sweeps"][0]["points"][-1]["accuracy"] <= 5
    assert result.stdout.startswith("| Clean | FGSM | PGD-10 | CW-10 | + APGD-CE | + Square-100 | Worst case |")
    assert "nan" not in result.stdout.splitlines()[2]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(e["event"] == "attack" and e["attack"] == "pgd10" for e in events)


def test_eval_paper_suite_reports_the_papers_columns(fscatter, checkpoint, tmp_path):
    report_path = tmp_path / "paper.json"
    run(fscatter, "eval", "--checkpoint", checkpoint, "--n", "20", "--suite", "paper", "--worst-case", "none",
        "--out", report_path)
    accuracy = json.loads(report_path.read_text())["accuracy"]
    assert set(accuracy) == {"clean", "worst_case", "fgsm-rs", "pgd10", "pgd20", "pgd40", "pgd100",
                             "cw10", "cw20", "cw40", "cw100"}


def test_eval_rejects_unknown_attacks(fscatter, checkpoint):
    result = run(fscatter, "eval", "--checkpoint", checkpoint, "--n", "10", "--attacks", "deepfool", check=False)
    assert result.returncode != 0 and "unknown attack 'deepfool'" in result.stderr


def test_attack_writes_adversarial_images_inside_the_ball(fscatter, checkpoint, tmp_path):
    out = tmp_path / "adv.npy"
    summary = json.loads(run(fscatter, "attack", "--checkpoint", checkpoint, "--attack", "pgd10", "--eps", "0.1",
                             "--n", "50", "--out", out).stdout)
    adversarial = np.load(out)
    assert adversarial.shape == (50, 1, 28, 28) and adversarial.dtype == np.float32
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    assert summary["max_distance"] <= 0.1 + 1e-6
    assert summary["accuracy"]["pgd10"] <= summary["accuracy"]["clean"]


def test_plot_tool_writes_pngs_from_a_report(fscatter, checkpoint, tmp_path):
    pytest.importorskip("matplotlib")
    report_path = tmp_path / "sweep.json"
    run(fscatter, "eval", "--checkpoint", checkpoint, "--n", "30", "--sweep-eps", "0,0.1,0.3",
        "--sweep-steps", "1,5", "--out", report_path)
    plot = [sys.executable, str(REPO / "bindings" / "python" / "featurescatter" / "plot_report.py")]
    subprocess.run([*plot, str(report_path), str(report_path), "--labels", "a,b", "--out-dir", str(tmp_path / "plots")],
                   check=True, capture_output=True)
    refused = subprocess.run([*plot, str(report_path), "--labels", "a,b"], capture_output=True, text=True)
    assert refused.returncode != 0 and "2 labels for 1 reports" in refused.stderr
    for name in ("accuracy_vs_epsilon.png", "accuracy_vs_steps.png"):
        png = (tmp_path / "plots" / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 1000


def _without_timings(report):
    """The report minus wall times and the fields only the CLI knows (file and data set names)."""
    stripped = {k: v for k, v in report.items() if k not in ("seconds", "checkpoint", "dataset")}
    stripped["attacks"] = [{k: v for k, v in a.items() if k != "seconds"} for a in report["attacks"]]
    return stripped


def test_cli_and_c_abi_give_the_same_report(fscatter, checkpoint, tmp_path):
    import featurescatter as fs

    attacks, worst_case = ["fgsm", "pgd5", "cw5"], ["apgd-ce", "square50"]
    report_path = tmp_path / "cli.json"
    run(fscatter, "eval", "--checkpoint", checkpoint, "--eps", "0.08", "--n", "80", "--seed", "3",
        "--attacks", ",".join(attacks), "--worst-case", ",".join(worst_case), "--out", report_path)
    cli = json.loads(report_path.read_text())
    with fs.Model.load(checkpoint) as model, fs.Dataset.load(split="test") as data:
        api = fs.evaluate(model, data, attacks=attacks, eps=0.08, worst_case=worst_case, limit=80, seed=3)
    assert cli["checkpoint"] == checkpoint and "checkpoint" not in api
    assert _without_timings(cli) == _without_timings(api)
    assert [a["name"] for a in api["attacks"]] == attacks + worst_case
