"""A verdict's two runs stop together: the control once it is competent with the margin, the break at that step."""
import os

import jupyter_client
import pytest
import torch

from minimodel import competence
from minimodel.catalogue import find_break
from minimodel.harness.runner import execute
from minimodel.harness.verdict import forget_controls, run_break
from minimodel.recipes import get_recipe


def test_a_control_stops_at_its_first_competent_measurement_and_trains_the_same_steps_until_then():
    recipe = get_recipe("memorise", stop_when_competent=True)  # recalls its sentence within a few steps
    full = execute(recipe, seed=0)
    stopped = execute(recipe, seed=0, until_competent=True)
    s = stopped.metrics["steps"]
    assert s % competence.every(recipe.steps) == 0 and s < recipe.steps == stopped.metrics["schedule_steps"]
    assert stopped.metrics["steps_to_bar"] == s and competence.problems(stopped.metrics) == []
    assert stopped.train_losses == full.train_losses[:s]  # stopping changes nothing before it


def _tiny():
    return get_recipe("rows-answer", steps=30, eval_prompts=20, eval_batches=1)


def _known_after(calls: int, step: int):
    """A control's last step as the side-by-side verdict learns it: unknown for `calls` polls, then `step`."""
    polls = []

    def control_steps(wait: bool):
        polls.append(wait)
        return step if wait or len(polls) > calls else None
    return control_steps


@pytest.mark.parametrize("calls", [0, 5, 100])
def test_a_break_that_ran_ahead_of_its_control_is_measured_at_the_controls_step(calls):
    replaces = find_break("broken-no-mask").replaces
    recipe = _tiny()
    every = competence.every(recipe.steps)
    at = execute(recipe, 0, replaces, stop_at=4 * every)  # the control's step known from the start
    ahead = execute(recipe, 0, replaces, stop_at=_known_after(calls, 4 * every))  # known late, or at the end
    assert ahead.metrics["steps"] == at.metrics["steps"] == 4 * every
    assert ahead.train_losses == at.train_losses
    assert all(torch.equal(a, b) for a, b in zip(ahead.model.state_dict().values(), at.model.state_dict().values()))
    assert ahead.metrics == at.metrics


def test_a_cold_verdict_trains_both_runs_the_same_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_CACHE", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_JOBS", "2")  # the control in a second process, as on a learner's laptop
    forget_controls()
    brk = find_break("broken-no-mask")
    v = run_break(brk, 0, recipe=get_recipe("memorise", stop_when_competent=True))
    assert v.control.metrics["steps"] < v.recipe.steps  # the control stopped early...
    assert v.run.metrics["steps"] == v.control.metrics["steps"]  # ...and the break with it
    assert "stopped at step" in v.steps_note
    alone = execute(v.recipe, 0, brk.replaces, stop_at=v.control.metrics["steps"])
    assert alone.train_losses == v.run.train_losses
    here = execute(v.recipe, 0, until_competent=True)  # the second process trained the very same control
    assert here.train_losses == v.control.train_losses
    forget_controls()


def test_a_cold_verdict_inside_a_jupyter_kernel_trains_its_control_side_by_side(tmp_path):
    """A learner's notebook: a kernel with threads of its own starts the control's process (forked on Linux at
    one thread), and the verdict arrives with both runs stopped together."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMODEL_")}
    env.update(MINIMODEL_CACHE=str(tmp_path), MINIMODEL_THREADS="1", MINIMODEL_JOBS="2")
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    code = ("import threading\n"
            "from minimodel.catalogue import find_break\n"
            "from minimodel.harness.verdict import run_break\n"
            "from minimodel.recipes import get_recipe\n"
            "assert threading.active_count() > 1  # the kernel's own threads, alive when the control starts\n"
            "v = run_break(find_break('broken-no-mask'), 0, recipe=get_recipe('memorise', stop_when_competent=True))\n"
            "print('steps', v.control.metrics['steps'], v.run.metrics['steps'], v.recipe.steps)\n")
    out: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
    try:
        reply = kc.execute_interactive(code, timeout=180, output_hook=keep)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    text = "".join(out)
    assert reply["content"]["status"] == "ok", text
    assert "training side by side in a second process" in text
    control, own, schedule = (int(n) for n in text.split("steps ")[-1].split()[:3])
    assert control == own < schedule
