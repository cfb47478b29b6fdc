"""The fscatter command line: info, train, eval, resume and its errors."""

import json
import os
import re

import numpy as np
import pytest

from conftest import run

FASHION = "/usr/share/datasets/fashion-mnist"


def test_info_reports_blas_core_and_threads_as_json(fscatter):
    info = json.loads(run(fscatter, "info", "--json").stdout)
    assert info["blas_core"] not in ("", "unknown")
    assert info["threads"] >= 1
    assert info["version"].count(".") == 2


def test_info_respects_a_user_chosen_core(fscatter):
    env = dict(os.environ, OPENBLAS_CORETYPE="Prescott")
    result = __import__("subprocess").run([fscatter, "info", "--json"], capture_output=True, text=True, env=env)
    assert json.loads(result.stdout)["blas_core"] == "Prescott"


def test_train_writes_summary_metrics_and_checkpoint(fscatter, tmp_path):
    out = tmp_path / "run"
    run(fscatter, "train", "--method", "standard", "--model", "smallcnn", "--epochs", "1",
        "--batch-size", "64", "--train-subset", "640", "--test-subset", "200", "--seed", "3", "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    for key in ("test_accuracy", "train_seconds", "images_per_second", "checkpoint"):
        assert key in summary
    assert 0 <= summary["test_accuracy"] <= 100
    assert os.path.exists(summary["checkpoint"])
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["epoch"] == 1

    evaluated = json.loads(run(fscatter, "eval", "--checkpoint", summary["checkpoint"],
                               "--test-subset", "200").stdout)
    assert abs(evaluated["accuracy"]["clean"] - summary["test_accuracy"]) < 1e-9


def test_progress_is_json_lines_when_not_a_terminal(fscatter, tmp_path):
    result = run(fscatter, "train", "--model", "mlp", "--epochs", "1", "--train-subset", "256",
                 "--test-subset", "64", "--out", tmp_path / "r")
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(e["event"] == "progress" and "eta_seconds" in e for e in events)
    assert any(e["event"] == "epoch" for e in events)


def test_resume_continues_to_the_same_result_as_an_uninterrupted_run(fscatter, tmp_path):
    common = ["--model", "mlp", "--train-subset", "512", "--test-subset", "128", "--seed", "5",
              "--batch-size", "64"]
    run(fscatter, "train", *common, "--epochs", "2", "--out", tmp_path / "straight")
    run(fscatter, "train", *common, "--epochs", "1", "--out", tmp_path / "split")
    run(fscatter, "train", *common, "--epochs", "2", "--resume", tmp_path / "split")
    straight = [json.loads(l) for l in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    split = [json.loads(l) for l in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [m["train_loss"] for m in straight] == [m["train_loss"] for m in split]
    assert straight[-1]["test_accuracy"] == split[-1]["test_accuracy"]


def test_resume_takes_the_run_from_its_checkpoint_and_refuses_contradicting_flags(fscatter, tmp_path):
    common = ["--method", "standard", "--model", "mlp", "--train-subset", "256", "--test-subset", "32", "--lr", "0.1",
              "--batch-size", "64", "--seed", "3"]
    run(fscatter, "train", *common, "--epochs", "2", "--out", tmp_path / "straight")
    run(fscatter, "train", *common, "--epochs", "1", "--out", tmp_path / "split")
    summary = json.loads(run(fscatter, "train", "--resume", tmp_path / "split", "--epochs", "2").stdout)
    assert (summary["method"], summary["train_images"], summary["test_images"]) == ("standard", 256, 32)
    straight = [json.loads(l) for l in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    split = [json.loads(l) for l in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [(m["train_loss"], m["learning_rate"]) for m in split] == [(m["train_loss"], m["learning_rate"]) for m in straight]
    checkpoint = (tmp_path / "split" / "checkpoint.fsc").read_bytes()
    for flags, named in [(["--lr", "0.2"], "--lr"), (["--train-subset", "512"], "--train-subset"),
                         (["--method", "madry"], "--method"), (["--model", "smallcnn"], "model"),
                         (["--test-subset", "64"], "--test-subset")]:
        result = run(fscatter, "train", "--resume", tmp_path / "split", "--epochs", "3", *flags, check=False)
        assert result.returncode != 0 and named in result.stderr and "started with" in result.stderr, result.stderr
        assert (tmp_path / "split" / "checkpoint.fsc").read_bytes() == checkpoint
    run(fscatter, "train", "--resume", tmp_path / "split", "--epochs", "3", *common)  # repeating them is fine


def test_a_full_disk_stops_the_run_with_a_clear_error_and_loses_nothing(fscatter, tmp_path):
    import resource
    import signal
    import subprocess

    out = tmp_path / "run"
    common = ["--method", "standard", "--model", "mlp", "--train-subset", "128", "--test-subset", "32"]
    run(fscatter, "train", *common, "--epochs", "1", "--out", out)
    checkpoint, summary = (out / "checkpoint.fsc").read_bytes(), (out / "summary.json").read_text()
    limit = len(checkpoint) // 2  # a file may not grow past half a checkpoint: the next one cannot be written

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([fscatter, "train", "--resume", str(out), "--epochs", "2"], capture_output=True, text=True,
                            preexec_fn=full_disk, timeout=300)
    assert result.returncode != 0 and "checkpoint.fsc" in result.stderr and "write failed" in result.stderr, result.stderr
    assert "Fatal error" not in result.stderr
    assert (out / "checkpoint.fsc").read_bytes() == checkpoint
    assert (out / "summary.json").read_text() == summary
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.fsc", "metrics.jsonl", "summary.json"]
    assert [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1]
    run(fscatter, "train", "--resume", out, "--epochs", "2")  # with room again, the run goes on
    assert [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]


@pytest.mark.parametrize("method", ["standard", "feature-scattering", "madry"])
def test_divergence_stops_naming_epoch_and_batch_and_keeps_only_finite_checkpoints(fscatter, tmp_path, method):
    from mpi import read_checkpoint

    out = tmp_path / method
    result = run(fscatter, "train", "--method", method, "--model", "mlp", "--train-subset", "256", "--test-subset", "32",
                 "--epochs", "3", "--batch-size", "64", "--lr", "1e6", "--out", out, check=False)
    assert result.returncode != 0 and "not finite" in result.stderr, result.stderr
    assert re.search(r"epoch \d+, batch \d+", result.stderr) and "lower learning rate" in result.stderr, result.stderr
    assert "Fatal error" not in result.stderr and not (out / "summary.json").exists()
    if (out / "checkpoint.fsc").exists():
        header, entries = read_checkpoint(out / "checkpoint.fsc")
        assert all(np.isfinite(values).all() for values in entries.values()), header["epoch"]


def test_missing_dataset_is_a_clear_error(fscatter, tmp_path):
    result = run(fscatter, "train", "--data-dir", tmp_path, "--epochs", "1", "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    assert "train-images-idx3-ubyte" in result.stderr
    assert "Fatal error" not in result.stderr


def test_wrong_model_for_the_data_is_a_clear_error(fscatter, tmp_path):
    result = run(fscatter, "train", "--model", "wrn-15-2", "--epochs", "1", "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    assert "wrn-15-2" in result.stderr


def test_corrupt_checkpoint_is_a_clear_error(fscatter, tmp_path):
    bad = tmp_path / "bad.fsc"
    bad.write_bytes(b"FSCKPT01" + b"\xff" * 40)
    result = run(fscatter, "eval", "--checkpoint", bad, check=False)
    assert result.returncode != 0
    assert "bad.fsc" in result.stderr


def test_feature_scattering_run_reports_ot_distance_per_epoch(fscatter, tmp_path):
    out = tmp_path / "fs"
    run(fscatter, "train", "--method", "feature-scattering", "--model", "mlp", "--eps", "0.1",
        "--epochs", "2", "--train-subset", "256", "--test-subset", "64", "--batch-size", "32",
        "--matching", "ot", "--solver", "sinkhorn", "--ot-reg", "0.01", "--label-smoothing", "0.5",
        "--attack-steps", "1", "--attack-step-size", "0.1", "--grad-mode", "unrolled", "--out", out)
    epochs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(epochs) == 2
    for epoch in epochs:
        assert 0 < epoch["statistics"]["ot_distance"] <= 2
        assert 0 <= epoch["test_accuracy"] <= 100
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "feature-scattering"


def test_bilateral_run_records_its_settings_and_label_budget(fscatter, tmp_path):
    out = tmp_path / "bat"
    run(fscatter, "train", "--method", "bilateral", "--model", "mlp", "--eps", "0.1", "--epochs", "1",
        "--train-subset", "256", "--test-subset", "64", "--batch-size", "32", "--bilateral-beta", "9",
        "--seed", "2", "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    settings = summary["settings"]
    assert settings["method"] == "bilateral" and settings["attack_steps"] == "1"
    assert float(settings["epsilon"]) == pytest.approx(0.1)
    assert float(settings["attack_step_size"]) == pytest.approx(0.1)
    assert float(settings["bilateral_beta"]) == 9 and "label_smoothing" not in settings
    epoch = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert 0.1 < epoch["statistics"]["label_epsilon"] <= 0.5  # (1/(1+β), 1/(1+β/(K-1))] for β = 9, K = 10
    assert np.isfinite(epoch["train_loss"]) and 0 <= summary["test_accuracy"] <= 100


def test_bilateral_refuses_label_smoothing(fscatter, tmp_path):
    result = run(fscatter, "train", "--method", "bilateral", "--label-smoothing", "0.5", "--epochs", "1",
                 "--train-subset", "64", "--out", tmp_path / "r", check=False)
    assert result.returncode != 0 and "label smoothing" in result.stderr, result.stderr
    assert "Fatal error" not in result.stderr


def test_unknown_method_option_is_rejected(fscatter, tmp_path):
    result = run(fscatter, "train", "--method", "feature-scattering", "--matching", "greedy",
                 "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    assert "greedy" in result.stderr
