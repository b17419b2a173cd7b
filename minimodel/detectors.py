"""Detectors: turn a run's measurements into findings {name, fired, value, threshold}."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from minimodel.metrics import Metrics, count_non_finite


@dataclass(frozen=True)
class Finding:
    name: str
    fired: bool
    value: float | None
    threshold: float
    summary: str  # the finding in plain words, numbers included

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Detector:
    name: str
    threshold: float
    measure: Callable[[Metrics, Metrics | None], float | None]  # (metrics, control metrics) -> value
    fires_above: bool  # fired when value > threshold (else when value < threshold)
    describe: str  # what the value is, e.g. "val loss / entropy floor"
    needs_control: bool = False
    healthy: float = 0.0  # the value on a healthy run (0 for a share or a gap, 1 for a ratio to the control)
    detail: Callable[[Metrics], str] | None = None  # more of the story when it fires (which step, which batch)

    def __call__(self, m: Metrics, control: Metrics | None = None, threshold: float | None = None) -> Finding:
        th = self.threshold if threshold is None else threshold
        if self.needs_control and control is None:
            return Finding(self.name, False, None, th, f"{self.describe}: no healthy control to compare with")
        value = self.measure(m, control)
        if value is None:
            return Finding(self.name, False, None, th, f"{self.describe}: not measured in this run")
        if not math.isfinite(value):  # NaN compares False both ways: it must never read as quiet
            more = f"; {self.detail(m)}" if self.detail and self.detail(m) else ""
            return Finding(self.name, True, value, th, f"{self.describe} = {value}, not a finite number: FIRED{more}")
        fired = value > th if self.fires_above else value < th
        op = (">" if fired else "<=") if self.fires_above else ("<" if fired else ">=")
        more = f"; {self.detail(m)}" if fired and self.detail and self.detail(m) else ""
        return Finding(self.name, fired, round(value, 6), th,
                       f"{self.describe} = {value:.4g} {op} {th:g}: {'FIRED' if fired else 'quiet'}{more}")


MARGIN = 0.5  # a value "clearly" fires (or stays quiet) when it is past its threshold by half the
# threshold's distance from the healthy value: a share with threshold 0.1 fires clearly at >= 0.15 and
# is clearly quiet at <= 0.05; a ratio to the control with threshold 0.75 at <= 0.625 and >= 0.875


def margin_bound(d: Detector, threshold: float, fired: bool) -> float:
    """The value a reading must reach to fire clearly (or to stay clearly quiet): past `threshold` by the MARGIN."""
    m = MARGIN * abs(threshold - d.healthy)
    toward_fired = m if d.fires_above else -m
    return threshold + toward_fired if fired else threshold - toward_fired


def clearly(d: Detector, value: float | None, threshold: float, fired: bool) -> bool:
    """Is `value` on the fired (or the quiet) side of `threshold` with the MARGIN? None counts as quiet."""
    if value is None:
        return not fired
    bound = margin_bound(d, threshold, fired)
    past = value >= bound if d.fires_above == fired else value <= bound
    strictly = value > threshold if d.fires_above else value < threshold  # a margin of 0 still has to fire
    return past and (strictly or not fired)


def _floor_ratio(m, _c):
    return m["tf"]["loss"] / m["entropy_floor"] if m.get("entropy_floor") else None


def _recall_miss(pick):
    """Share of the expected text missed (after the first mistake) from the recall prompt `pick` chooses."""
    def measure(m, _c):
        probes = m.get("recall") or []
        chosen = pick(probes) if probes else None
        return None if chosen is None else 1 - chosen["correct_share"]
    return measure


def _memorised_loss(m, _c):
    return m["tf"]["loss"] if m.get("recall") else None  # only a text with recall prompts is memorised


def _slowdown(m, c):
    """Steps to reach a low training loss, relative to the control (never reaching it counts as steps + 1)."""
    if not c.get("steps_to_low_loss"):
        return None
    return (m.get("steps_to_low_loss") or m.get("steps", 0) + 1) / c["steps_to_low_loss"]


TINY_LOSS = 0.01  # nats: two losses both under this are both "learned by heart"; their ratio is noise


def _ratio(key):
    def measure(m, c):
        if not c["tf"].get(key) or max(m["tf"][key], c["tf"][key]) < TINY_LOSS:
            return None
        return m["tf"][key] / c["tf"][key]
    return measure


def _stop_gap(m, _c):
    """Stop rate on every answer length but the longest, minus the stop rate on the longest."""
    by_len = {int(n): v for n, v in (m["ar"].get("stop_rate_by_answer_length") or {}).items()}  # JSON: str keys
    if len(by_len) < 2:
        return None
    longest = max(by_len)
    shorter = [v for n, v in by_len.items() if n != longest]
    return sum(shorter) / len(shorter) - by_len[longest]


def _non_finite(m, _c):
    """NaN or infinite numbers anywhere in the metrics, plus the training steps whose loss was one."""
    return count_non_finite(m) + m.get("train_non_finite", 0)


def _first_non_finite(m) -> str:
    step = m.get("first_non_finite_step")
    return "" if step is None else f"the training loss first stopped being a number at step {step} (that step's batch)"


def _serving(key):
    return lambda m, _c: m["serving"].get(key) if "serving" in m else None


DETECTORS: dict[str, Detector] = {d.name: d for d in [
    Detector("loss_below_floor", 0.5, _floor_ratio, fires_above=False,
             healthy=1.0, describe="held-out loss / the data's entropy floor (a causal model cannot go below 1)"),
    Detector("future_attention", 0.01, lambda m, _c: m.get("future_attention"), fires_above=True,
             describe="attention mass above the diagonal (on later tokens)"),
    Detector("far_future_attention", 0.01, lambda m, _c: m.get("far_future_attention"), fires_above=True,
             describe="attention mass two or more keys ahead (beyond the very next token)"),
    Detector("leak_test", 1e-6, lambda m, _c: m.get("leak"), fires_above=True,
             describe="gradient share from earlier logits to later inputs (0 for a causal model, trained or not)"),
    Detector("tf_ar_gap", 0.3, lambda m, _c: m["tf_exact_match"] - m["ar"]["exact_match"], fires_above=True,
             describe="TF exact match minus AR exact match"),
    Detector("ar_collapse", 0.5, lambda m, _c: m["free_run"]["loop_share"], fires_above=True,
             describe="share of free-running AR samples that collapse into a loop of 1-3 tokens"),
    Detector("ar_malformed", 0.3, lambda m, _c: m["ar"]["malformed_share"], fires_above=True,
             describe="share of AR continuations that are not an answer (answer characters, then the stop token)"),
    Detector("ignored_answer_tokens", 0.02, lambda m, _c: m.get("ignored_answer_share"), fires_above=True,
             describe="share of true answer tokens whose target carries the ignore index"),
    Detector("special_targets", 0.05, lambda m, _c: m.get("special_target_share"), fires_above=True,
             describe="share of supervised targets that are PAD, PAUSE or BOS"),
    Detector("init_loss_off", 0.2, lambda m, _c: abs(m["loss_init"] - m["ln_vocab"]) / m["ln_vocab"],
             fires_above=True, describe="|loss at init - ln(V)| / ln(V)"),
    Detector("rows_not_normalised", 0.01, lambda m, _c: m.get("attention_row_error"), fires_above=True,
             describe="mean |sum of a query's attention weights - 1| (each row should be a distribution)"),
    Detector("true_next_loss_high", 1.0,
             lambda m, _c: m["tf"]["next_token"] / m["ln_vocab"] if "next_token" in m["tf"] else None,
             fires_above=True, describe="loss against the true next token / ln(V) (guessing scores 1)"),
    Detector("not_memorised", 0.05, _memorised_loss, fires_above=True,
             describe="held-out loss on a text with nothing random in it (memorised: near 0)"),
    Detector("no_recall_from_start", 0.02,
             _recall_miss(lambda ps: next((p for p in ps if p["prompt"] == ""), None)), fires_above=True,
             describe="share of the text greedy decoding gets wrong from BOS alone"),
    Detector("no_recall_from_prompt", 0.02, _recall_miss(lambda ps: max(ps, key=lambda p: len(p["prompt"]))),
             fires_above=True, describe="share of the text greedy decoding gets wrong from the longest prompt"),
    Detector("learns_slower", 1.5, _slowdown, fires_above=True, needs_control=True,
             healthy=1.0, describe="steps to a training loss under 0.1, relative to the healthy control's"),
    Detector("loss_hides_tokens", 0.9, lambda m, _c: m["tf"]["loss"] / m["tf"]["answer"], fires_above=False,
             healthy=1.0, describe="reported loss / the same model's loss over every true answer token"),
    Detector("loss_reads_lower", 0.9, _ratio("loss"), fires_above=False, needs_control=True,
             healthy=1.0, describe="reported loss / the healthy control's"),
    Detector("answer_loss_lags", 1.25, _ratio("answer"), fires_above=True, needs_control=True,
             healthy=1.0, describe="answer-only loss / the healthy control's"),
    Detector("ar_lags_control", 0.1, lambda m, c: c["ar"]["exact_match"] - m["ar"]["exact_match"],
             fires_above=True, needs_control=True,
             describe="the healthy control's AR exact match minus this run's"),
    Detector("tf_lags_control", 0.1, lambda m, c: c["tf_exact_match"] - m["tf_exact_match"],
             fires_above=True, needs_control=True,
             describe="the healthy control's TF exact match minus this run's"),
    Detector("off_answer_targets", 0.05, lambda m, _c: m.get("off_answer_target_share"), fires_above=True,
             describe="share of supervised targets that are not answer tokens (prompts, the next example)"),
    Detector("loss_reads_higher", 1.5, _ratio("loss"), fires_above=True, needs_control=True,
             healthy=1.0, describe="reported loss / the healthy control's"),
    Detector("ar_never_stops", 0.5, lambda m, _c: 1 - m["ar"]["stop_rate"], fires_above=True,
             describe="share of AR continuations that reach the length limit without a stop token"),
    Detector("right_but_no_stop", 0.03, lambda m, _c: m["ar"].get("right_but_no_stop"), fires_above=True,
             describe="share of AR continuations whose answer digits are right but no stop follows"),
    Detector("long_answers_unfinished", 0.5, _stop_gap, fires_above=True,
             describe="AR stop rate on shorter answers minus on the longest answers"),
    Detector("headline_inflated", 0.1, lambda m, _c: m["accuracy"] - m["ar"]["exact_match"]
             if "accuracy" in m else None, fires_above=True,
             describe="reported accuracy minus a real greedy-generation (AR) exact match"),
    Detector("answer_start_ambiguous", 0.02, lambda m, _c: m.get("ambiguous_prompt_share"), fires_above=True,
             describe="share of prompts the data itself continues in more than one way (no marked answer start)"),
    Detector("non_finite", 0, _non_finite, fires_above=True, detail=_first_non_finite,
             describe="NaN or infinite values among the metrics and the training losses"),
    Detector("serving_prompt_differs", 0.05, _serving("prompt_differs"), fires_above=True,
             describe="share of prompts whose serving ids differ from what training put before the answer"),
    # two equivalences: a healthy model gives the same tokens either way (0 on every seed, thread count and
    # instruction set measured), so 2 % of the prompts (8 of 400) is already far from healthy
    Detector("batched_generation_differs", 0.02, _serving("batched_differs"), fires_above=True,
             describe="share of prompts answered differently in a left-padded batch than alone"),
    Detector("cached_generation_differs", 0.02, _serving("cached_differs"), fires_above=True,
             describe="share of prompts answered differently with the KV cache than without it"),
    # the same equivalence on the logits, the test real suites run (a cache must change nothing): the data's own
    # answer fed one token a call from the cache against one forward; float rounding (1e-6 or less) when healthy
    Detector("cached_logits_differ", 1e-4, lambda m, _c: m.get("cache_change"), fires_above=True,
             describe="largest change of the logits continued from a KV cache, one token a call, against one "
                      "forward over the whole sequence (relative)"),
    Detector("serving_fails", 0.5, lambda m, _c: float("error" in m["serving"]) if "serving" in m else None,
             fires_above=True, detail=lambda m: m["serving"].get("error", ""),
             describe="serving the held-out prompts raised an error (1) or ran (0)"),
    Detector("serving_lags_control", 0.1, lambda m, c: c["serving"]["exact_match"] - m["serving"]["exact_match"]
             if "exact_match" in m.get("serving", {}) and "exact_match" in c.get("serving", {}) else None,
             fires_above=True, needs_control=True,
             describe="the healthy control's exact match served (serving prompts, left-padded batch, KV cache) "
                      "minus this run's"),
    Detector("evaluations_disagree", 1e-6, lambda m, _c: m.get("eval_repeat_change"), fires_above=True,
             describe="largest change of a held-out logit between two identical evaluations (relative)"),
    Detector("accumulation_differs", 1e-3, lambda m, _c: m.get("accumulation_gap"), fires_above=True,
             describe="|gradient accumulated over micro-batches - the full batch's| / |the full batch's|, at init"),
    Detector("labels_two_ahead", 0.05, lambda m, _c: m.get("labels_two_ahead_share"), fires_above=True,
             describe="share of supervised targets that are the token two ahead instead of the next one"),
    Detector("packed_logits_differ", 1e-3, lambda m, _c: m.get("packing_change"), fires_above=True,
             describe="largest change of an example's logits packed in one row with others against alone "
                      "(relative)"),
    Detector("generation_disagrees", 0.2, lambda m, _c: 1 - m["first_token_agreement"]
             if "first_token_agreement" in m else None, fires_above=True,
             describe="share of prompts whose first generated token is not the forward pass's argmax"),
]}


def detect(names, metrics: Metrics, control: Metrics | None = None,
           thresholds: dict[str, float] | None = None) -> list[Finding]:
    """Run the named detectors; `thresholds` overrides a detector's default threshold."""
    thresholds = thresholds or {}
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}; detectors are: {', '.join(DETECTORS)}")
    return [DETECTORS[n](metrics, control, thresholds.get(n)) for n in names]
