"""checkup.batch: a batch as a collator emits it, its labels checked against the batch's own structure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from minimodel.checkup.report import CheckupError, Report, judge, skipped
from minimodel.detectors import DETECTORS, Detector, Finding

COMPLETION_KEYS = ("completion_mask", "assistant_masks")  # TRL's names for "1 on answer tokens"


def _above(name: str, threshold: float, describe: str, key: str) -> Detector:
    return Detector(name, threshold, lambda m, _c: m[key], fires_above=True, describe=describe)


NO_TARGETS = _above("rows_without_targets", 0.0, "share of rows with no supervised label", "share")
IGNORED = _above("labels_ignored", 0.99, "share of label positions carrying ignore_index", "share")
PADDING = _above("padding_supervised", 0.0, "share of padding positions (attention_mask 0) that are targets", "share")
EOS = Detector("eos_never_supervised", 1, lambda m, _c: m["count"], fires_above=False,
               describe="EOS tokens among the targets")
SPECIAL = _above("special_supervised", 0.0, "share of targets that are special tokens (PAD, BOS, ...)", "share")
DOUBLE = _above("labels_double_shifted", 0.5, "share of labels equal to the token one step further than the "
                "convention expects", "share")
UNSHIFTED = _above("labels_not_shifted", 0.5, "share of labels equal to the input at their own position, where "
                   "already shifted labels owe the next token", "share")
PROMPT = _above("prompt_supervised", 0.0, "share of prompt tokens that are targets", "share")
ANSWER = DETECTORS["ignored_answer_tokens"]  # the lab's own: answer tokens carrying the ignore index
TRUNCATED = _above("rows_truncated", 0.0, "share of rows whose tokens hold no EOS", "share")


@dataclass(frozen=True)
class Targets:
    """The batch read once: which input tokens are targets, whatever the label convention."""
    ids: torch.Tensor  # (B, T) input_ids
    labels: torch.Tensor  # (B, T)
    real: torch.Tensor  # (B, T) bool: attention_mask 1 (all True without a mask)
    has_mask: bool
    supervised: torch.Tensor  # (B, T) bool: input token t is some position's target
    shifted: bool  # labels[t] is the target of position t (already shifted), not input token t
    ignore_index: int


def batch(batch: Mapping, eos_id: int | None = None, pad_id: int | None = None, ignore_index: int = -100,
          prompt_lengths: Sequence[int] | torch.Tensor | None = None, shifted: bool | None = None,
          special_ids: Sequence[int] = ()) -> Report:
    """Audit one batch: `input_ids`, `labels`, optional `attention_mask` and completion mask.

    `shifted=None` detects the label convention: aligned with the inputs (the model shifts, as Hugging
    Face models do) or already shifted (labels[t] is the token after input t). Declare it to also
    catch labels shifted twice. `prompt_lengths` (or a `completion_mask`) enables the prompt checks.
    """
    ids, labels, real, has_mask, completion = _read(batch, prompt_lengths)
    offsets = [_offset_match(ids, labels, k, ignore_index) for k in range(3)]  # labels[t] == ids[t + k]
    if shifted is None:  # whichever offset the labels match best; 2 means shifted, and then shifted again
        shifted = max(range(3), key=offsets.__getitem__) >= 1
    t = Targets(ids, labels, real, has_mask, _supervised(labels, shifted, ignore_index), shifted, ignore_index)
    findings = [_rows_without_targets(t), judge(IGNORED, {"share": float((labels == ignore_index).float().mean())},
                                                note="information: completion-only training ignores every prompt"),
                _padding(t), _eos(t, eos_id, pad_id), _special(t, eos_id, pad_id, special_ids),
                _double_shift(offsets, shifted), _not_shifted(offsets, shifted), *_prompt(t, completion),
                _truncated(t, eos_id, pad_id)]
    B, T = ids.shape
    notes = [f"{B} rows x {T} tokens; labels {'already shifted' if shifted else 'aligned with input_ids'} "
             f"(match at offset 0/1/2: {offsets[0]:.2f}/{offsets[1]:.2f}/{offsets[2]:.2f}); "
             f"padding {'from attention_mask' if has_mask else 'unknown (no attention_mask)'}"]
    return Report("checkup.batch", findings, notes)


def _read(batch, prompt_lengths):
    """Validate the batch; returns ids, labels, real (B, T), whether a mask was given, completion (B, T) or None."""
    if not isinstance(batch, Mapping):
        raise CheckupError(f"expected a batch as a dict of tensors (input_ids, labels, ...), "
                           f"got {type(batch).__name__}")
    for key in ("input_ids", "labels"):
        if not isinstance(batch.get(key), torch.Tensor):
            raise CheckupError(f"the batch needs {key!r} as a tensor (B, T); it has: {', '.join(map(str, batch))}")
    ids, labels = batch["input_ids"], batch["labels"]
    if ids.dim() != 2 or labels.shape != ids.shape:
        raise CheckupError(f"input_ids and labels must both be (B, T); got {tuple(ids.shape)} and "
                           f"{tuple(labels.shape)}")
    mask = _same_shape(batch, "attention_mask", ids)
    real = mask if mask is not None else torch.ones_like(ids, dtype=torch.bool)  # (B, T)
    completion = next((_same_shape(batch, k, ids) for k in COMPLETION_KEYS if k in batch), None)
    lengths = prompt_lengths if prompt_lengths is not None else batch.get("prompt_lengths")
    if lengths is not None:  # the prompt lengths are the ground truth, even beside a completion mask
        completion = _completion_from_lengths(lengths, real)
    return ids, labels, real, mask is not None, completion


def _same_shape(batch, key: str, ids: torch.Tensor) -> torch.Tensor | None:
    mask = batch.get(key)
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor) or mask.shape != ids.shape:
        raise CheckupError(f"{key} must be a tensor shaped like input_ids {tuple(ids.shape)}, got "
                           f"{tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__}")
    return mask.bool()


def _completion_from_lengths(lengths, real: torch.Tensor) -> torch.Tensor:
    """Answer tokens: the real tokens after each row's prompt (counted from its first real token)."""
    lengths = torch.as_tensor(lengths).reshape(-1)
    B, T = real.shape
    if lengths.numel() != B:
        raise CheckupError(f"prompt_lengths needs one length per row ({B}), got {lengths.numel()}")
    start = real.int().argmax(dim=1)  # (B,) first real token: left padding shifts the prompt
    pos = torch.arange(T)  # (T,)
    return real & (pos[None, :] >= (start + lengths)[:, None])  # (B, T)


def _offset_match(ids, labels, k: int, ignore_index: int) -> float:
    """Share of supervised labels equal to the input token k positions later."""
    T = ids.shape[1]
    lab, nxt = labels[:, : T - k], ids[:, k:]  # (B, T - k)
    keep = lab != ignore_index
    return float((lab[keep] == nxt[keep]).float().mean()) if keep.any() else 0.0


def _supervised(labels, shifted: bool, ignore_index: int) -> torch.Tensor:
    """(B, T) bool in input positions: which tokens the loss asks some position to predict."""
    sup = torch.zeros_like(labels, dtype=torch.bool)
    if shifted:
        sup[:, 1:] = labels[:, :-1] != ignore_index  # labels[t] is the target of position t: input token t + 1
    else:
        sup[:, 1:] = labels[:, 1:] != ignore_index  # the model shifts: labels[0] is never predicted
    return sup


def _rows_without_targets(t: Targets) -> Finding:
    empty = ((t.labels != t.ignore_index).sum(dim=1) == 0).nonzero().flatten().tolist()
    return judge(NO_TARGETS, {"share": len(empty) / t.labels.shape[0]},
                 cause=f"rows {empty[:8]} have no token to learn from (their loss is NaN alone, 0 in a mean): "
                       "truncation cut every answer token, or the completion mask is all zeros")


def _padding(t: Targets) -> Finding:
    if not t.has_mask:
        return skipped(PADDING.name, PADDING.threshold, "no attention_mask: padding is found by the mask, not by id")
    pad = ~t.real
    share = float((t.supervised & pad).sum() / pad.sum()) if pad.any() else 0.0
    return judge(PADDING, {"share": share}, cause="likely cause: labels copied from input_ids without setting "
                 "padding to ignore_index; the loss rewards predicting PAD after PAD")


def _eos(t: Targets, eos_id, pad_id) -> Finding:
    if eos_id is None:
        return skipped(EOS.name, EOS.threshold, "pass eos_id")
    count = int((_targets(t) == eos_id).sum())
    cause = ("likely cause: PAD equals EOS and the collator masks every PAD out of the loss, the real EOS "
             "included: the model never learns to stop; give PAD its own id or keep each row's first EOS"
             if pad_id == eos_id else "likely cause: no row ends with a supervised EOS (never appended, "
             "cut by truncation, or masked): the model never learns to stop")
    return judge(EOS, {"count": count}, cause)


def _special(t: Targets, eos_id, pad_id, special_ids) -> Finding:
    special = ({pad_id} | set(special_ids)) - {None, eos_id}  # EOS is a target on purpose
    if not special:
        why = "PAD equals EOS, a target on purpose" if pad_id is not None else "no pad_id given"
        return skipped(SPECIAL.name, SPECIAL.threshold, f"{why}; pass special_ids (BOS, ...) to check others")
    hit = t.supervised & torch.isin(t.ids, torch.tensor(sorted(special)))
    share = float(hit.sum() / t.supervised.sum()) if t.supervised.any() else 0.0
    return judge(SPECIAL, {"share": share}, cause=f"likely cause: special tokens {sorted(special)} left in the "
                 "labels; they are trivially predictable and dilute the loss")


def _double_shift(offsets: list[float], shifted: bool) -> Finding:
    return judge(DOUBLE, {"share": offsets[2 if shifted else 1]},
                 cause="likely cause: the labels were shifted by one and the model (or loss) shifts again, so "
                       "each position learns the token two ahead")


def _not_shifted(offsets: list[float], shifted: bool) -> Finding:
    if not shifted:
        return skipped(UNSHIFTED.name, UNSHIFTED.threshold, "labels aligned with input_ids: the model shifts them "
                       "(declare shifted=True if your labels are the next tokens already)")
    return judge(UNSHIFTED, {"share": offsets[0]},
                 cause="likely cause: the targets were taken from the inputs without the shift (y = x instead of the "
                       "token after x): each position learns to repeat its own input")


def _targets(t: Targets) -> torch.Tensor:
    """The target tokens the loss scores, whatever the convention: an already shifted batch's last label is the
    token after the row (an (x, y) pair cut from a row that ends with EOS carries that EOS in y only)."""
    labels = t.labels if t.shifted else t.labels[:, 1:]  # aligned: labels[0] is nobody's target
    real = t.real if t.shifted else t.real[:, 1:]  # a shifted label is real when its input is
    return labels[(labels != t.ignore_index) & real]


def _prompt(t: Targets, completion) -> list[Finding]:
    if completion is None:
        why = "pass prompt_lengths or a completion_mask"
        return [skipped(PROMPT.name, PROMPT.threshold, why), skipped(ANSWER.name, ANSWER.threshold, why)]
    prompt = t.real & ~completion
    prompt[:, 0] = False  # nothing predicts the first token either way
    share = float((t.supervised & prompt).sum() / prompt.sum()) if prompt.any() else 0.0
    missed = float((~t.supervised & completion).sum() / completion.sum()) if completion.any() else 0.0
    return [judge(PROMPT, {"share": share}, cause="likely cause: the completion mask was dropped (or is all ones): "
                  "the loss is spent on prompts the model should only read"),
            judge(ANSWER, {"ignored_answer_share": missed}, cause="likely cause: the label mask is cut or shifted "
                  "against the answers (masked per block, or prompt lengths off by some tokens)")]


def _truncated(t: Targets, eos_id, pad_id) -> Finding:
    if eos_id is None:
        return skipped(TRUNCATED.name, TRUNCATED.threshold, "pass eos_id")
    holds = ((t.ids == eos_id) & t.real).any(dim=1) | (t.labels == eos_id).any(dim=1)  # (B,) an (x, y) row: in y
    no_eos = (~holds).nonzero().flatten().tolist()
    note = "" if t.has_mask or pad_id != eos_id else "PAD equals EOS and no attention_mask: padding hides truncation"
    return judge(TRUNCATED, {"share": len(no_eos) / t.ids.shape[0]}, note=note,
                 cause=f"rows {no_eos[:8]} hold no EOS: max_length cut them before it (or it was never appended)")
