"""The command line: the learner's main job end to end, and every bad-input path."""
import json

import pytest
import torch
from typer.testing import CliRunner

from minimodel.cli import app
from minimodel.harness.verdict import forget_controls

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_unknown_names_exit_2_with_one_line_listing_valid_ones(runs_dir):
    r = invoke("exp", "17-train-mini", "--tag", "broken-nothing")
    assert r.exit_code == 2
    assert "unknown tag 'broken-nothing'" in r.output and "broken-no-mask" in r.output and "baseline" in r.output
    r = invoke("exp", "18-train", "--tag", "baseline")
    assert r.exit_code == 2 and "17-train-mini" in r.output
    r = invoke("breaks", "show", "nope")
    assert r.exit_code == 2 and "broken-no-mask" in r.output


def test_sample_without_checkpoint_says_which_command_creates_it(runs_dir):
    r = invoke("exp", "17-sample", "--tag", "broken-no-mask")
    assert r.exit_code == 2
    assert "just exp 17-train-mini --tag broken-no-mask" in r.output


def test_train_then_sample_no_mask_and_baseline(runs_dir):
    r = invoke("exp", "17-train-mini", "--tag", "broken-no-mask")
    assert r.exit_code == 0, r.output
    folder = runs_dir / "broken-no-mask"
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("tag", "breaks", "config", "seed", "versions", "started_at", "finished_at", "metrics", "findings"):
        assert key in manifest
    fired = {f["name"]: f["fired"] for f in manifest["findings"]}
    assert fired["loss_below_floor"] and fired["future_attention"] and fired["leak_test"]
    assert all(set(f) >= {"name", "fired", "value", "threshold"} for f in manifest["findings"])
    for name in ("model.pt", "loss.png", "attention.png", "samples.txt"):
        assert (folder / name).stat().st_size > 0
    r = invoke("exp", "17-sample", "--tag", "broken-no-mask")
    assert r.exit_code == 0 and "AR exact match" in r.output

    r = invoke("exp", "17-train-mini", "--tag", "baseline")
    assert r.exit_code == 0, r.output
    base = json.loads((runs_dir / "baseline" / "manifest.json").read_text())
    fired = {f["name"]: f["fired"] for f in base["findings"]}
    assert not fired["loss_below_floor"] and not fired["future_attention"] and not fired["leak_test"]
    assert not [name for name, on in fired.items() if on]  # a healthy run fires no health check
    assert base["breaks"] == []


def test_corrupt_checkpoint_is_a_clear_error(runs_dir):
    folder = runs_dir / "baseline"
    folder.mkdir(parents=True)
    (folder / "model.pt").write_bytes(b"PK\x03\x04 this is not a checkpoint")
    r = invoke("exp", "17-sample", "--tag", "baseline")
    assert r.exit_code == 2
    assert "corrupt or truncated" in r.output and "Traceback" not in r.output


def test_ctrl_c_keeps_previous_checkpoint_and_marks_interrupted(runs_dir, monkeypatch):
    assert invoke("exp", "17-train-mini", "--tag", "baseline", "--steps", "5").exit_code == 0
    folder = runs_dir / "baseline"
    before = {p: (folder / p).read_bytes() for p in ("model.pt", "manifest.json")}

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("minimodel.harness.runner.train", interrupted)
    monkeypatch.setenv("MINIMODEL_CACHE", str(runs_dir.parent / "empty-cache"))  # so it trains again
    forget_controls()
    r = invoke("exp", "17-train-mini", "--tag", "baseline", "--steps", "5")
    assert r.exit_code == 130
    assert {p: (folder / p).read_bytes() for p in before} == before
    assert json.loads((folder / "interrupted.json").read_text())["tag"] == "baseline"
    torch.load(folder / "model.pt", weights_only=True)  # still a valid checkpoint


def test_breaks_list_and_show():
    r = invoke("breaks", "list")
    assert r.exit_code == 0 and "broken-no-mask" in r.output
    r = invoke("breaks", "show", "broken-no-mask")  # open mode: the change and the questions, not the symptom
    assert r.exit_code == 0 and "# BUG:" in r.output and "predict" in r.output
    assert "hints:" not in r.output and "The loss beats the entropy floor" not in r.output and "+++" not in r.output
    r = invoke("breaks", "show", "broken-no-mask", "--hints")
    assert "hints:" in r.output and "+++" not in r.output
    r = invoke("breaks", "show", "broken-no-mask", "--reveal")
    assert r.exit_code == 0 and "hints:" in r.output and "+++" in r.output and "The loss beats the entropy" in r.output


@pytest.mark.parametrize("steps", ["0", "-3"])
def test_bad_steps(runs_dir, steps):
    assert invoke("exp", "17-train-mini", "--tag", "baseline", "--steps", steps).exit_code == 2


def test_bench_refuses_an_unknown_tag_before_timing_anything(monkeypatch):
    from bench import bench

    timed = []
    monkeypatch.setattr(bench, "time_to_verdict", lambda *a, **k: timed.append(a))
    monkeypatch.setattr("sys.argv", ["bench", "broken-no-mask", "broken-nope"])
    with pytest.raises(SystemExit) as e:
        bench.main()
    assert "broken-nope" in str(e.value) and "just breaks list" in str(e.value) and not timed
    monkeypatch.setattr("sys.argv", ["bench", "broken-no-mask"])
    bench.main()
    assert timed and timed[0][1] == ["broken-no-mask"]  # a known tag: its verdict only, no throughput half
