"""checkup.generation: does the generation budget fit the answers, and can generation stop at all?"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from minimodel.checkup.batch_checks import EOS, batch as check_batch
from minimodel.checkup.report import CheckupError, Report, judge, skipped
from minimodel.detectors import Detector, Finding

OVER_BUDGET = Detector("answers_over_budget", 0.0, lambda m, _c: m["share"], fires_above=True,
                       describe="share of answers longer than the generation budget")
PAD_IS_EOS = Detector("pad_is_eos", 0.5, lambda m, _c: m["same"], fires_above=True,
                      describe="PAD equals EOS (1 = yes) and nothing shows EOS is learned")


def generation(answer_lengths: Sequence[int] | torch.Tensor, max_new_tokens: int, eos_id: int | None = None,
               pad_id: int | None = None, batch: Mapping | None = None) -> Report:
    """Compare the budget with the answers (in tokens); with `eos_id` the stop token must fit too.

    PAD equal to EOS fires unless `batch` (a training batch) shows EOS among the targets.
    """
    lengths = _lengths(answer_lengths)
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise CheckupError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    need = lengths + (1 if eos_id is not None else 0)  # (N,) tokens to generate, the stop token included
    over = int((need > max_new_tokens).sum())
    findings = [judge(OVER_BUDGET, {"share": over / len(lengths)},
                      cause=f"{over} of {len(lengths)} answers need up to {int(need.max())} tokens"
                            f"{' (EOS included)' if eos_id is not None else ''} but generation stops after "
                            f"{max_new_tokens}: they are cut off; raise max_new_tokens to at least {int(need.max())}"),
                _pad_is_eos(eos_id, pad_id, batch)]
    notes = [f"{len(lengths)} answers of {int(lengths.min())}..{int(lengths.max())} tokens, "
             f"max_new_tokens = {max_new_tokens}"]
    return Report("checkup.generation", findings, notes)


def _lengths(answer_lengths) -> torch.Tensor:
    try:
        lengths = torch.as_tensor(answer_lengths).reshape(-1)  # (N,)
    except (TypeError, ValueError, RuntimeError):
        lengths = None
    if lengths is None or lengths.numel() == 0 or lengths.is_floating_point() or bool((lengths < 0).any()):
        raise CheckupError("answer_lengths must be a non-empty list of token counts (integers >= 0)")
    return lengths


def _pad_is_eos(eos_id, pad_id, batch) -> Finding:
    if eos_id is None or pad_id is None:
        return skipped(PAD_IS_EOS.name, PAD_IS_EOS.threshold, "pass eos_id and pad_id")
    if pad_id != eos_id:
        return judge(PAD_IS_EOS, {"same": 0.0}, note=f"PAD {pad_id}, EOS {eos_id}")
    learned = batch is not None and not check_batch(batch, eos_id=eos_id, pad_id=pad_id)[EOS.name].fired
    return judge(PAD_IS_EOS, {"same": 0.0 if learned else 1.0},
                 cause="PAD equals EOS: a collator that masks PAD out of the loss masks every EOS, so generation "
                       "never stops; check a training batch with checkup.batch(..., eos_id, pad_id) or pass "
                       "batch=", note="the batch supervises EOS: safe" if learned else "")
