"""The metrics schema is what a run produces, and a NaN or infinite value anywhere never reads as quiet."""
import math

import pytest

from minimodel.detectors import DETECTORS, detect
from minimodel.harness.findings import GENERAL_DETECTORS
from minimodel.metrics import AREval, FreeRun, Metrics, RecallProbe, Sample, TFLosses, training_facts
from minimodel.recipes import get_recipe
from minimodel.harness.runner import execute
from minimodel.tasks import make_task


def _fields(schema) -> tuple[set, set]:
    return set(schema.__required_keys__), set(schema.__required_keys__ | schema.__optional_keys__)


def _matches(schema, d: dict) -> bool:
    required, every = _fields(schema)
    return required <= set(d) <= every


@pytest.fixture(scope="module")
def short_run():
    return execute(get_recipe("rows-answer", steps=5, eval_prompts=20, eval_batches=1), seed=0)


def test_a_run_produces_exactly_the_documented_schema(short_run):
    m = short_run.metrics
    assert _matches(Metrics, m), set(m) ^ _fields(Metrics)[1]
    assert _matches(TFLosses, m["tf"]) and _matches(AREval, m["ar"]) and _matches(FreeRun, m["free_run"])
    assert m["ar"]["samples"] and all(_matches(Sample, s) for s in m["ar"]["samples"])
    sentence = execute(get_recipe("memorise", steps=3), seed=0).metrics
    assert sentence["recall"] and all(_matches(RecallProbe, p) for p in sentence["recall"])


def test_healthy_metrics_are_finite_and_the_detector_is_quiet(short_run):
    (finding,) = detect(["non_finite"], short_run.metrics)
    assert finding.value == 0 and not finding.fired
    assert "non_finite" in GENERAL_DETECTORS  # every run's findings include it


def test_a_nan_metric_fires_every_detector_that_reads_it(short_run):
    m = {**short_run.metrics, "tf": {**short_run.metrics["tf"], "loss": math.nan}}
    findings = {f.name: f for f in detect(GENERAL_DETECTORS, m)}
    assert findings["non_finite"].fired and findings["non_finite"].value == 1
    floor = DETECTORS["loss_below_floor"]({**m, "entropy_floor": 0.97})  # loss / floor is NaN: not "quiet"
    assert floor.fired and "not a finite number" in floor.summary
    infinite = {**short_run.metrics, "future_attention": math.inf}
    assert DETECTORS["future_attention"](infinite).fired and detect(["non_finite"], infinite)[0].fired


def test_a_nan_anywhere_in_the_training_curve_fires():
    task = make_task("addition")
    recipe = get_recipe("rows-answer")
    losses = [math.nan] + [0.5] * 12  # diverged once, then finite: the last ten steps look fine
    facts = training_facts(task, recipe, losses, leak=0.0, loss_init=2.7)
    assert math.isfinite(facts["train_loss"]) and facts["train_non_finite"] == 1
    assert DETECTORS["non_finite"](facts).fired


def test_a_run_that_diverges_is_caught_end_to_end():
    def nan_scale(head_size: int) -> float:
        return math.nan  # every attention score becomes NaN

    run = execute(get_recipe("rows-answer", steps=3, eval_prompts=10, eval_batches=1), seed=0,
                  replacements={"attention_scale": nan_scale})
    assert run.metrics["train_non_finite"] == 3 and all(math.isnan(loss) for loss in run.train_losses)
    (finding,) = detect(["non_finite"], run.metrics)
    assert finding.fired and finding.value >= 3
