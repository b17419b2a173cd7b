"""Verdicts on competent controls: the margin rule, seed ranges, the control cache, exact-prompt sampling."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from minimodel import settings
from minimodel.harness import control_cache
from minimodel.cli import app
from minimodel.detectors import DETECTORS, clearly
from minimodel.harness.parallel import parse_seeds
from minimodel.recipes import get_recipe
from minimodel.harness.verdict import forget_controls, healthy_control

runner = CliRunner()


def test_seed_lists_and_ranges():
    assert parse_seeds("0-9") == list(range(10))
    assert parse_seeds("0,2,5") == [0, 2, 5]
    assert parse_seeds("0-2,7,1") == [0, 1, 2, 7]
    for bad in ("", "a", "3-1", "-1", "1-", "0..9"):
        with pytest.raises(ValueError, match="0-9"):
            parse_seeds(bad)


@pytest.mark.parametrize("command", ["check", "calibrate"])
def test_malformed_seed_range_is_a_one_line_error(command):
    r = runner.invoke(app, [command, "--seeds", "0-x"])
    assert r.exit_code == 2
    assert "0-x" in r.output and "range like 0-9" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("command", ["check", "calibrate"])
def test_a_damaged_results_file_is_refused_before_any_training(command, monkeypatch):
    from minimodel.harness import measurements

    def damaged(*_args, **_kwargs):
        raise measurements.MeasurementsError("docs/measurements/calibrate/1t-avx512.json is not readable JSON; "
                                             "rebuild it with: just calibrate --seeds 0-9")

    monkeypatch.setattr(measurements, "load_calibrations", damaged)
    monkeypatch.setattr("minimodel.harness.verdict.execute", lambda *a, **k: pytest.fail("trained anyway"))
    r = runner.invoke(app, [command, "--seeds", "0"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].endswith("rebuild it with: just calibrate --seeds 0-9")


def test_margin_rule_on_a_share_and_on_a_ratio():
    share = DETECTORS["ar_malformed"]  # healthy 0, fires above 0.3: clearly fired >= 0.45, clearly quiet <= 0.15
    assert clearly(share, 0.45, 0.3, fired=True) and not clearly(share, 0.31, 0.3, fired=True)
    assert clearly(share, 0.15, 0.3, fired=False) and not clearly(share, 0.29, 0.3, fired=False)
    assert clearly(share, None, 0.3, fired=False) and not clearly(share, None, 0.3, fired=True)
    ratio = DETECTORS["loss_reads_lower"]  # healthy 1, fires below: threshold 0.75 -> <= 0.625 and >= 0.875
    assert clearly(ratio, 0.6, 0.75, fired=True) and not clearly(ratio, 0.7, 0.75, fired=True)
    assert clearly(ratio, 1.0, 0.75, fired=False) and not clearly(ratio, 0.8, 0.75, fired=False)


def _tiny_recipe():
    return get_recipe("rows-answer", steps=3, eval_prompts=20, eval_batches=1)


def test_control_cache_reuses_an_entry_and_retrains_a_corrupt_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_CACHE", str(tmp_path))
    recipe, notes = _tiny_recipe(), []
    forget_controls()
    first = healthy_control(recipe, 0, note=notes.append)
    entries = list(tmp_path.glob("control-*.pt"))
    assert len(entries) == 1 and not notes
    forget_controls()
    again = healthy_control(recipe, 0, note=notes.append)  # from disk: the same numbers, no training
    assert again.metrics == first.metrics and again.train_losses == first.train_losses and not notes
    entries[0].write_bytes(entries[0].read_bytes()[:200])  # truncated
    forget_controls()
    retrained = healthy_control(recipe, 0, note=notes.append)
    assert len(notes) == 1 and "training it again" in notes[0] and "\n" not in notes[0]
    assert retrained.metrics == first.metrics
    forget_controls()


def test_control_cache_entry_made_under_another_key_is_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_CACHE", str(tmp_path))
    recipe, notes = _tiny_recipe(), []
    forget_controls()
    first = healthy_control(recipe, 0, note=notes.append)
    path = control_cache.entry_path(control_cache.entry_key(recipe, 0))
    payload = torch.load(path, weights_only=True)
    payload["meta"]["key"]["threads"] += 1  # as if written by a process with another thread count
    payload["meta"]["metrics"]["tf_exact_match"] = 123.0  # a wrong number that must never be read
    torch.save(payload, path)
    forget_controls()
    again = healthy_control(recipe, 0, note=notes.append)
    assert notes and "another key" in notes[0]
    assert again.metrics["tf_exact_match"] == first.metrics["tf_exact_match"]
    forget_controls()


def test_cache_key_names_the_thread_count_library_and_recipe(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIMODEL_CACHE", str(tmp_path))
    a = control_cache.entry_key(_tiny_recipe(), 0)
    assert a["threads"] == torch.get_num_threads() and a["library"] and a["recipe"]["steps"] == 3
    assert control_cache.entry_path(a) != control_cache.entry_path(control_cache.entry_key(_tiny_recipe(), 1))
    assert control_cache.entry_path(a).parent == tmp_path


def test_default_cache_folder_is_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIMODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert settings.cache_dir() == tmp_path / "minimodel"


def test_two_processes_filling_one_entry_both_finish(tmp_path):
    code = ("import torch; torch.set_num_threads(1); from minimodel.recipes import get_recipe; "
            "from minimodel.harness.verdict import healthy_control; "
            "r = healthy_control(get_recipe('rows-answer', steps=3, eval_prompts=20, eval_batches=1), 0); "
            "print(r.metrics['tf']['loss'])")
    env = {**__import__("os").environ, "MINIMODEL_CACHE": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs[0] == outs[1]
    assert len(list(tmp_path.glob("control-*.pt"))) == 1 and not list(tmp_path.glob(".*tmp"))


def test_sample_continues_exactly_the_prompt_given(runs_dir):
    assert runner.invoke(app, ["exp", "17-train-mini", "--tag", "broken-memorise-sentence"]).exit_code == 0
    manifest = json.loads((runs_dir / "broken-memorise-sentence" / "manifest.json").read_text())
    from_prompt = next(p for p in manifest["metrics"]["recall"] if p["prompt"] == "I l")
    assert from_prompt["generated"] == "ove machine learning\n"
    r = runner.invoke(app, ["exp", "17-sample", "--tag", "broken-memorise-sentence", "--prompt", "I l"])
    assert r.exit_code == 0, r.output
    assert "'I l' -> 'ove machine learning\\n'" in r.output  # the same text the run's own recall probe shows


def test_a_catalogue_break_run_is_cached_but_a_learners_function_never_is(tmp_path, monkeypatch):
    from minimodel.catalogue import find_break
    from minimodel.harness.verdict import run_break

    monkeypatch.setenv("MINIMODEL_CACHE", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_JOBS", "1")
    brk = find_break("broken-no-mask")
    forget_controls()
    first = run_break(brk, 0, steps=3)
    assert len(list(tmp_path.glob("run-*.pt"))) == 1 and len(list(tmp_path.glob("control-*.pt"))) == 1
    again = run_break(brk, 0, steps=3)
    assert again.run.metrics == first.run.metrics and again.fired == first.fired

    def my_mask(T, device="cpu"):  # a learner's fix: its behaviour is not known from its name
        return torch.ones(T, T, dtype=torch.bool, device=device).tril()

    run_break(brk, 0, steps=3, fix=my_mask)
    assert len(list(tmp_path.glob("run-*.pt"))) == 1  # nothing new cached
    forget_controls()


def test_the_contract_requires_a_competent_control_unless_the_break_says_why_not():
    import dataclasses

    from minimodel.catalogue import find_break, metadata_problems
    from minimodel.harness.checker import contract_problems

    untrained = dataclasses.replace(find_break("broken-pad-is-eos"), steps=2)
    problems = contract_problems(untrained, seed=0)
    assert any("the healthy control is not competent with the margin" in p and "just calibrate" in p for p in problems)
    declared = dataclasses.replace(untrained, half_trained="stopped early on purpose, for this test")
    assert not any("not competent" in p for p in contract_problems(declared, seed=0))
    assert any("must set `steps`" in p for p in metadata_problems(dataclasses.replace(declared, steps=None)))


def test_a_question_reading_a_detector_the_break_does_not_declare_is_a_metadata_problem():
    """The answer key would fail to observe it: the checker says so before any training."""
    import dataclasses

    from minimodel.catalogue import find_break, metadata_problems, questions

    brk = find_break("broken-packing-without-boundaries")
    asks_loss = dataclasses.replace(brk, questions=brk.questions + (
        questions.detector_fired("loss", "Lower loss?", "loss_reads_lower", "yes", "no", default="no"),))
    assert any("reads 'loss_reads_lower'" in p for p in metadata_problems(asks_loss))
    assert metadata_problems(brk) == []


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's exit may wait for a reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_workers_stop_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "jobs.py"
    script.write_text("import os, sys, time\nfrom pathlib import Path\n"
                      "from minimodel.harness.parallel import map_jobs\n"
                      "def job(i):\n    Path(sys.argv[1], str(os.getpid())).write_text('')\n    time.sleep(120)\n"
                      "if __name__ == '__main__':\n    list(map_jobs(job, [0, 1], jobs=2))\n")
    pids = tmp_path / "pids"
    pids.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(pids)])
    deadline = time.monotonic() + 60
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [int(p.name) for p in pids.iterdir()]
    assert len(workers) == 2 and all(map(_running, workers))
    parent.send_signal(signal.SIGTERM)  # as `kill` or a time limit stops it: no chance to stop its pool
    parent.wait(10)
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_running, workers))
