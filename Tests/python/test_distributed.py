"""Data-parallel training and distributed evaluation under mpirun: N ranks equal one process."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import run
from mpi import ENVIRONMENT, MPIRUN, largest_relative_difference, mpirun, read_checkpoint

pytestmark = pytest.mark.skipif(MPIRUN is None, reason="Open MPI's mpirun is not installed (apt-get install openmpi-bin)")

SMALL = ["--model", "smallcnn", "--train-subset", "2560", "--test-subset", "200", "--batch-size", "128", "--seed", "4"]


def train_args(out, *extra, method="standard", epochs=1):
    return ["train", "--method", method, "--epochs", str(epochs), *SMALL, *extra, "--out", out]


def one_process(out, *extra, **options):
    """One process with two workers: the batch split the way two ranks of one worker split it."""
    return train_args(out, "--threads", "2", *extra, **options)


def two_ranks(out, *extra, **options):
    return train_args(out, "--threads", "1", *extra, **options)


def test_two_ranks_train_standard_smallcnn_as_one_process_does(fscatter, tmp_path):
    run(fscatter, *one_process(tmp_path / "one"))
    mpirun(fscatter, *two_ranks(tmp_path / "two"))
    assert largest_relative_difference(tmp_path / "one" / "checkpoint.fsc", tmp_path / "two" / "checkpoint.fsc") < 1e-5
    one = json.loads((tmp_path / "one" / "metrics.jsonl").read_text())
    two = json.loads((tmp_path / "two" / "metrics.jsonl").read_text())
    assert abs(one["train_loss"] - two["train_loss"]) < 1e-5 and one["test_accuracy"] == two["test_accuracy"]
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["ranks"] == 2 and summary["threads"] >= 1 and summary["all_reduce_seconds"] > 0


def test_global_ot_scope_follows_one_process_and_local_scope_differs(fscatter, tmp_path):
    run(fscatter, *one_process(tmp_path / "one", method="feature-scattering"))
    mpirun(fscatter, *two_ranks(tmp_path / "global", method="feature-scattering"))
    mpirun(fscatter, *two_ranks(tmp_path / "local", "--ot-scope", "local", method="feature-scattering"))
    one = tmp_path / "one" / "checkpoint.fsc"
    global_difference = largest_relative_difference(one, tmp_path / "global" / "checkpoint.fsc")
    local_difference = largest_relative_difference(one, tmp_path / "local" / "checkpoint.fsc")
    assert global_difference < 1e-5, global_difference
    assert local_difference > 1e-4, local_difference
    metadata = read_checkpoint(tmp_path / "local" / "checkpoint.fsc")[0]["metadata"]
    assert metadata["ot_scope"] == "local"


def test_batch_norm_replicas_stay_identical_and_learn(fscatter, tmp_path):
    out = tmp_path / "wrn"
    mpirun(fscatter, "train", "--method", "standard", "--model", "wrn-16-4", "--train-subset", "64", "--test-subset",
           "32", "--batch-size", "64", "--epochs", "5", "--lr", "0.05", "--seed", "2", "--out", out)
    losses = [json.loads(line)["train_loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) == 5 and losses[-1] < losses[0], losses
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ranks"] == 2 and len(summary["state_hash"]) > 0


def test_distributed_evaluation_gives_the_one_process_report(fscatter, tmp_path):
    run(fscatter, *train_args(tmp_path / "model"))
    checkpoint = tmp_path / "model" / "checkpoint.fsc"
    common = ["eval", "--checkpoint", checkpoint, "--n", "120", "--batch-size", "25", "--attacks", "fgsm,pgd5,cw5",
              "--worst-case", "apgd-ce,square30", "--sweep-eps", "0.05,0.3", "--seed", "7"]
    run(fscatter, *common, "--out", tmp_path / "one.json")
    mpirun(fscatter, *common, "--out", tmp_path / "two.json")
    one, two = (json.loads((tmp_path / name).read_text()) for name in ("one.json", "two.json"))
    assert one["accuracy"] == two["accuracy"]
    assert [a["settings"] for a in one["attacks"]] == [a["settings"] for a in two["attacks"]]
    assert one["sweeps"] == two["sweeps"] and one["gradient_masking"] == two["gradient_masking"]


def test_a_run_resumes_at_another_world_size(fscatter, tmp_path):
    run(fscatter, *one_process(tmp_path / "straight", epochs=3))
    mpirun(fscatter, *two_ranks(tmp_path / "split", epochs=2))
    run(fscatter, *one_process(tmp_path / "split", epochs=3)[:-2], "--resume", tmp_path / "split")
    straight, split = tmp_path / "straight" / "checkpoint.fsc", tmp_path / "split" / "checkpoint.fsc"
    assert read_checkpoint(split)[0]["epoch"] == 3
    assert largest_relative_difference(straight, split) < 1e-5


def test_ranks_that_disagree_on_the_run_all_stop_with_one_message(fscatter, tmp_path):
    base = train_args(tmp_path / "r", epochs=1)
    result = mpirun([fscatter, *base, "--seed", "0"], [fscatter, *base, "--seed", "1"], check=False, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "disagree on the run's" in line]
    assert len(lines) == 2, result.stderr
    assert lines[0].split("): ", 1)[1] == lines[1].split("): ", 1)[1]
    assert "seed" in lines[0] and "rank 1 has 1" in lines[0]


def test_a_missing_file_on_one_rank_stops_every_rank_naming_it(fscatter, tmp_path):
    base = train_args(tmp_path / "r", epochs=1)
    missing = [fscatter, *base, "--data-dir", str(tmp_path / "nowhere")]
    started = time.monotonic()
    result = mpirun([fscatter, *base], missing, check=False, timeout=120)
    assert result.returncode != 0 and time.monotonic() - started < 60
    lines = [line for line in result.stderr.splitlines() if "loading the data" in line]
    assert len(lines) == 2 and all("rank 1 of 2" in line for line in lines), result.stderr


def signal_a_rank_after_the_first_epoch(fscatter, out, signal_number, environment=ENVIRONMENT):
    """Starts a 3-epoch run on 2 ranks, sends `signal_number` to its last rank once the first epoch is
    written, and returns the job's exit status, its stderr and the seconds it took to end after the signal."""
    command = [MPIRUN, "--oversubscribe", "-np", "2", fscatter, *train_args(out, "--train-subset", "12800", epochs=3)]
    job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "metrics.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (out / "metrics.jsonl").exists(), "no epoch finished"
        ranks = subprocess.run(["pgrep", "-f", "--", f"{fscatter} train .*{out}"], capture_output=True,
                               text=True).stdout.split()
        victims = [int(pid) for pid in ranks if int(pid) != job.pid]
        assert victims, "no rank found"
        os.kill(victims[-1], signal_number)
        sent = time.monotonic()
        _, stderr = job.communicate(timeout=120)
        return job.returncode, stderr, time.monotonic() - sent
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)


def test_a_killed_rank_ends_the_job_and_the_checkpoint_resumes(fscatter, tmp_path):
    out = tmp_path / "run"
    status, stderr, seconds = signal_a_rank_after_the_first_epoch(fscatter, out, signal.SIGKILL)
    assert status != 0 and seconds < 60
    assert "process rank" in stderr and "signal 9" in stderr, stderr[-2000:]
    header = read_checkpoint(out / "checkpoint.fsc")[0]
    assert header["epoch"] >= 1
    run(fscatter, *train_args(out, "--train-subset", "12800", epochs=header["epoch"] + 1)[:-2], "--resume", out)
    assert read_checkpoint(out / "checkpoint.fsc")[0]["epoch"] == header["epoch"] + 1


def test_a_stalled_rank_times_out_instead_of_hanging_the_job(fscatter, tmp_path):
    environment = dict(ENVIRONMENT, FEATURESCATTER_MPI_TIMEOUT="5")
    status, stderr, seconds = signal_a_rank_after_the_first_epoch(fscatter, tmp_path / "run", signal.SIGSTOP, environment)
    assert status != 0 and seconds < 90
    assert "timed out" in stderr, stderr[-2000:]


def test_info_checks_the_ranks_and_shares_the_cores(fscatter):
    info = json.loads(mpirun(fscatter, "info", "--json").stdout)
    assert info["ranks"] == 2 and len(info["hosts"]) == 2
    assert info["threads"] == max(1, os.cpu_count() // 2)


AGENT = """#!/bin/sh
# plm_rsh_agent for the two-namespace test: "ssh" to an address by entering its namespace.
host="$1"
shift
case "$host" in
  {b}) echo "$host" >> {log}; exec ip netns exec {nsb} /bin/sh -c "$*" ;;
  *) echo "unknown host $host" >&2; exit 1 ;;
esac
"""


def namespaces_or_skip(names):
    """Creates network namespaces `names` joined by a veth pair with link-local addresses, or skips."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2")
    made = subprocess.run(["ip", "netns", "add", names[0]], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    commands = [["ip", "netns", "add", names[1]],
                ["ip", "link", "add", "fsveth-a", "type", "veth", "peer", "name", "fsveth-b"],
                ["ip", "link", "set", "fsveth-a", "netns", names[0]], ["ip", "link", "set", "fsveth-b", "netns", names[1]]]
    for name, device, address in ((names[0], "fsveth-a", "169.254.77.1/24"), (names[1], "fsveth-b", "169.254.77.2/24")):
        commands += [["ip", "-n", name, "addr", "add", address, "dev", device],
                     ["ip", "-n", name, "link", "set", device, "up"], ["ip", "-n", name, "link", "set", "lo", "up"]]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, text=True)


def test_two_hosts_over_a_network_path_train_as_one_process(fscatter, tmp_path):
    names = (f"fs-a-{os.getpid()}", f"fs-b-{os.getpid()}")
    try:
        namespaces_or_skip(names)
        agent = tmp_path / "agent.sh"
        log = tmp_path / "agent.log"
        agent.write_text(AGENT.format(b="169.254.77.2", nsb=names[1], log=log))
        agent.chmod(0o755)
        run(fscatter, *one_process(tmp_path / "one"))
        subnet = "169.254.77.0/24"
        command = ["ip", "netns", "exec", names[0], MPIRUN, "--allow-run-as-root", "--oversubscribe",
                   "--host", "169.254.77.1,169.254.77.2", "-np", "2", "--mca", "plm_rsh_agent", str(agent),
                   "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include",
                   subnet, "-x", "OMPI_ALLOW_RUN_AS_ROOT", "-x", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
                   fscatter, *two_ranks(tmp_path / "two")]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENVIRONMENT)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = json.loads((tmp_path / "two" / "summary.json").read_text())
        assert summary["ranks"] == 2 and log.read_text().split() == ["169.254.77.2"]
        assert largest_relative_difference(tmp_path / "one" / "checkpoint.fsc", tmp_path / "two" / "checkpoint.fsc") < 1e-5
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_ranks_training_on_different_data_all_stop_with_one_message(fscatter, tmp_path):
    base = train_args(tmp_path / "r", epochs=1)
    result = mpirun([fscatter, *base], [fscatter, *base, "--train-subset", "2432"], check=False, timeout=120)
    lines = [line for line in result.stderr.splitlines() if "disagree on the run's training data" in line]
    assert result.returncode != 0 and len(lines) == 2, result.stderr
    assert "rank 0 has 2560 examples" in lines[0] and "rank 1 has 2432 examples" in lines[0]


@pytest.mark.parametrize("method", ["madry", "trades", "random", "supervised"])
def test_every_method_trains_on_two_ranks_as_one_process(fscatter, tmp_path, method):
    subset = ["--train-subset", "384", "--attack-steps", "2"]
    run(fscatter, *one_process(tmp_path / "one", *subset, method=method))
    mpirun(fscatter, *two_ranks(tmp_path / "two", *subset, method=method))
    assert largest_relative_difference(tmp_path / "one" / "checkpoint.fsc", tmp_path / "two" / "checkpoint.fsc") < 1e-5


def test_an_imported_onnx_model_trains_on_two_ranks_as_one_process(fscatter, tmp_path):
    run(fscatter, *train_args(tmp_path / "seed", "--train-subset", "128"))
    onnx = tmp_path / "model.onnx"
    run(fscatter, "export", "--checkpoint", tmp_path / "seed" / "checkpoint.fsc", "--onnx", onnx)
    imported = ["--init-onnx", onnx, "--train-subset", "384"]
    run(fscatter, *one_process(tmp_path / "one", *imported, method="feature-scattering"))
    mpirun(fscatter, *two_ranks(tmp_path / "two", *imported, method="feature-scattering"))
    assert largest_relative_difference(tmp_path / "one" / "checkpoint.fsc", tmp_path / "two" / "checkpoint.fsc") < 1e-5


def test_synchronised_batch_norm_follows_one_process_and_per_rank_statistics_do_not(fscatter, tmp_path):
    wrn = ["--model", "wrn-10-1", "--train-subset", "128", "--test-subset", "32", "--batch-size", "64"]
    run(fscatter, *one_process(tmp_path / "one", *wrn))
    mpirun(fscatter, *two_ranks(tmp_path / "sync", *wrn, "--sync-batchnorm"))
    mpirun(fscatter, *two_ranks(tmp_path / "rank", *wrn))
    one, sync, rank = (tmp_path / name / "checkpoint.fsc" for name in ("one", "sync", "rank"))
    assert largest_relative_difference(one, sync) < 1e-5
    assert largest_relative_difference(one, sync, kind="buffer") < 1e-5
    assert largest_relative_difference(one, rank, kind="buffer") > 1e-3
