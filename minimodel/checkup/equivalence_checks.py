"""The equivalences real test suites assert, on random ids: padded, batched, cached and packed against plain, twice.

Each compares the logits of two ways of computing the same thing (transformers proves its models with the same
pairs: `test_left_padding_compatibility`, `test_batching_equivalence`, `test_generate_continue_from_past_key_values`,
`test_*_padding_matches_padding_free_with_position_ids`, `test_determinism`) as the largest change relative to the
largest logit: 0, or float rounding, when the part is healthy.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from minimodel.checkup.adapters import Subject, Unsupported
from minimodel.checkup.report import CheckupError, failed, judge, skipped
from minimodel.detectors import DETECTORS, Detector, Finding
from minimodel.metrics import relative_change


def _relative(name: str, describe: str) -> Detector:
    return Detector(name, 1e-4, lambda m, _c: m["change"], fires_above=True, describe=describe)


PADDED = _relative("padded_logits_differ", "largest change of a prompt's logits left-padded (attention mask, positions "
                   "over real tokens) against unpadded (relative)")
BATCHED = _relative("batched_logits_differ", "largest change of a row's logits in a batch against alone (relative)")
CACHED = DETECTORS["cached_logits_differ"]  # the lab's own: continued from a KV cache against one forward
PACKED = DETECTORS["packed_logits_differ"]  # the lab's own: packed in one row against alone
REPEATED = DETECTORS["evaluations_disagree"]  # the lab's own: two identical evaluations

PADDED_CAUSE = ("likely cause: padding reaches the real tokens (the attention mask is not applied to the keys, or a "
                "padding query with no key left gives NaN that spreads), or positions count the padding")
BATCHED_CAUSE = ("likely cause: rows of a batch mix (a mean or a norm over the batch axis, a reshape or a mask "
                 "broadcast across rows)")
CACHED_CAUSE = ("likely cause: the KV cache is written at the wrong slot or read short, the new tokens' positions "
                "restart, or the model is not causal (a cache equals a full forward only when no token sees later "
                "ones)")
PACKED_CAUSE = ("likely cause: packed examples see each other (no block-diagonal document mask, or a model that "
                "ignores restarting position ids) or their positions run on across examples")
REPEATED_CAUSE = ("likely cause: something random stays on in eval mode (dropout called with training=True, "
                  "F.dropout without self.training), or the model keeps state from one call to the next")


def measured(detector: Detector, key: str, measure: Callable[[], float], cause: str, note: str = "") -> Finding:
    """Run one measurement through the detector; a model that cannot take it is skipped, one that fails is fired."""
    try:
        with torch.no_grad():
            value = measure()
    except Unsupported as e:
        return skipped(detector.name, detector.threshold, str(e))
    except CheckupError as e:  # the model takes the keyword, and fails with it
        return failed(detector, str(e))
    return judge(detector, {key: value}, cause, note)


def left_padding(s: Subject) -> list[Finding]:
    """Two shorter prompts, each left-padded to seq_len (random ids as padding, so any leak shows) on a row of its
    own, so that a batch that mixes its rows (the batching check) cannot pass for a padding mistake."""
    T = s.seq_len
    lengths = [T // 2 + 1, max(1, T // 4)]
    idx, _ = s.ids(len(lengths), T)  # (2, T)
    mask = (torch.arange(T)[None, :] >= T - torch.tensor(lengths)[:, None]).long()  # (2, T) 1 on a real token

    def measure() -> float:
        padded = torch.cat([s.adapter.padded(idx[i:i + 1], mask[i:i + 1])[0, T - n:] for i, n in enumerate(lengths)])
        alone = torch.cat([s.adapter.logits(idx[i:i + 1, T - n:])[0] for i, n in enumerate(lengths)])
        return relative_change(alone, padded)
    return [measured(PADDED, "change", measure, PADDED_CAUSE,
                     note=f"prompts of {lengths} tokens left-padded to {T}, every real token compared")]


def batching(s: Subject) -> list[Finding]:
    idx, _ = s.ids(3, s.seq_len)  # (3, T)

    def measure() -> float:
        alone = torch.cat([s.adapter.logits(idx[i:i + 1]) for i in range(len(idx))])  # (3, T, V)
        return relative_change(alone, s.adapter.logits(idx))
    return [measured(BATCHED, "change", measure, BATCHED_CAUSE, note="3 rows, every position compared")]


def cache(s: Subject) -> list[Finding]:
    idx, _ = s.ids(2, s.seq_len)  # (2, T)
    cut = s.seq_len // 2  # the prompt, then one token a call

    def measure() -> float:
        return relative_change(s.adapter.logits(idx), s.adapter.continued(idx, cut))
    return [measured(CACHED, "cache_change", measure, CACHED_CAUSE,
                     note=f"{cut} tokens in the first call, then {s.seq_len - cut} one at a time")]


def packing(s: Subject) -> list[Finding]:
    """Three examples side by side in one row, against each on a row of its own (what a padded batch gives at
    its real tokens)."""
    T = s.seq_len
    lengths = [T // 2, T // 4, T - T // 2 - T // 4]
    if min(lengths) < 1:
        return [skipped(PACKED.name, PACKED.threshold, f"seq_len {T} is too short to pack three examples")]
    idx, _ = s.ids(1, T)  # (1, T)
    documents = torch.repeat_interleave(torch.arange(3), torch.tensor(lengths))[None]  # (1, T)

    def measure() -> float:
        alone = torch.cat([s.adapter.logits(part)[0] for part in idx.split(lengths, dim=1)])  # (T, V)
        return relative_change(alone, s.adapter.packed(idx, documents)[0])
    return [measured(PACKED, "packing_change", measure, PACKED_CAUSE, note=f"examples of {lengths} tokens")]


def determinism(s: Subject) -> list[Finding]:
    idx, _ = s.ids()
    return [measured(REPEATED, "eval_repeat_change", lambda: relative_change(s.adapter.logits(idx),
                                                                           s.adapter.logits(idx)),
                     REPEATED_CAUSE, note="the same ids twice, in eval mode")]
