"""How the checkup calls a model: ids to logits, and a padding mask, positions, a cache and a loss if it takes them.

Models differ in what their forward accepts. The lab's GPT takes an attention mask, position ids and its own
`KVCache`; a Hugging Face model takes `attention_mask`, `position_ids`, `cache` (or `past_key_values`) and
`labels` and returns an object with `.logits`; nanoGPT returns every position's logits only when given
`targets`; a bare callable maps ids to logits and nothing more. An adapter gives the checks one way to ask for
each, and says why (`Unsupported`) when a model cannot take what a check needs: the check is then skipped with
that reason, never reported as quiet.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

from minimodel import seams
from minimodel.checkup.forward import call, unwrap
from minimodel.checkup.report import CheckupError
from minimodel.data import Batch
from minimodel.model import GPT, shift_labels
from minimodel.seams import IGNORE_INDEX
from minimodel.serve import continued
from minimodel.train import accumulation_gap

LOSS_FN = "pass loss_fn(logits, labels) (labels aligned with the ids, -100 where ignored, shifted by the loss)"


class Unsupported(Exception):
    """A check this model cannot take (no attention mask, no cache, no loss): the reason, reported as skipped."""


def parameters_of(fn) -> dict[str, inspect.Parameter]:
    """The parameters a forward (or a loss function) takes; none when it has no readable signature."""
    target = fn.forward if isinstance(fn, nn.Module) else fn
    try:
        return dict(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return {}


def takes_any_keyword(fn) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters_of(fn).values())


class Adapter:
    """Any callable from ids (B, T) to logits (B, T, V): the checks that need nothing more."""
    kind = "a forward from ids to logits"

    def __init__(self, model, loss_fn: Callable | None = None):
        self.model, self.loss_fn = model, loss_fn
        self.module = model if isinstance(model, nn.Module) else None

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        return unwrap(call(self.model, idx))

    def next_logits(self, idx: torch.Tensor) -> torch.Tensor:
        """The last position's logits (B, V): what greedy generation reads."""
        return self.logits(idx)[:, -1]

    def padded(self, idx: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) of padded rows, `mask` (B, T) 1 on a real token; positions count real tokens."""
        raise Unsupported("its forward takes ids only (no attention_mask)")

    def packed(self, idx: torch.Tensor, documents: torch.Tensor) -> torch.Tensor:
        """Logits (1, T, V) of examples packed in one row; `documents` (1, T) says which example each token is."""
        raise Unsupported("its forward takes ids only (no position_ids, no attention mask per query)")

    def continued(self, idx: torch.Tensor, cut: int) -> torch.Tensor:
        """Logits (B, T, V): the first `cut` tokens in one call, then one token a call, continuing a KV cache."""
        raise Unsupported("its forward takes no KV cache")

    def loss(self, idx: torch.Tensor, labels: torch.Tensor, num_items: int | None = None) -> torch.Tensor:
        """The learner's loss on labels aligned with the ids; `num_items`: the whole batch's supervised count."""
        return self._learners_loss(self.logits(idx), labels, num_items)

    def _learners_loss(self, logits: torch.Tensor, labels: torch.Tensor, num_items: int | None = None):
        if self.loss_fn is None:
            raise Unsupported(f"no loss to train with: {LOSS_FN}")
        extra = {"num_items_in_batch": num_items} if num_items is not None and self.counts_items else {}
        try:
            return self.loss_fn(logits, labels, **extra)
        except Exception as e:  # the learner's code: one line
            raise CheckupError(f"loss_fn(logits {tuple(logits.shape)}, labels {tuple(labels.shape)}) failed "
                               f"({type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]})") from None

    @property
    def counts_items(self) -> bool:
        """Whether the loss takes the whole batch's supervised count (`num_items_in_batch`, as transformers does):
        then micro-batches' losses add up; else a training loop divides each by the number of micro-batches."""
        return "num_items_in_batch" in parameters_of(self.loss_fn) or takes_any_keyword(self.loss_fn)

    def training_pass(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One training forward on ids (B, T), every next token a target: the loss to backpropagate, and the
        logits (B, T - 1, V) that predict ids[:, 1:]."""
        logits = self.logits(ids)
        return self._learners_loss(logits, ids), logits[:, :-1]

    def accumulation_gap(self, idx: torch.Tensor, labels: torch.Tensor, k: int) -> float:
        """|gradient accumulated over k micro-batches, as a training loop adds them - the full batch's| / |full|."""
        if self.module is None:
            raise Unsupported("a callable has no parameters to take gradients of: pass the nn.Module")
        params = [p for p in self.module.parameters() if p.requires_grad]
        count = int((labels[:, 1:] != IGNORE_INDEX).sum())  # targets: the loss shifts aligned labels
        with torch.enable_grad():
            full = self._gradient(self.loss(idx, labels, count), params)
            accumulated = torch.zeros_like(full)
            for ids, part in zip(idx.tensor_split(k), labels.tensor_split(k)):
                share = self.loss(ids, part, count) if self.counts_items else self.loss(ids, part) / k
                accumulated += self._gradient(share, params)
        return float((accumulated - full).norm() / full.norm().clamp_min(1e-12))

    @staticmethod
    def _gradient(loss: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
        """Every parameter's gradient, flattened (autograd.grad: the model's .grad fields stay untouched)."""
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        return torch.cat([(torch.zeros_like(p) if g is None else g).flatten() for p, g in zip(params, grads)])

    def copy(self) -> Adapter:
        """The same kind of adapter around a deep copy of the module: training it leaves the model under test alone."""
        if self.module is None:
            raise Unsupported("a callable cannot be trained: pass the nn.Module itself")
        return type(self)(copy.deepcopy(self.module), self.loss_fn)


class TargetsAdapter(Adapter):
    """nanoGPT's convention: `forward(idx, targets)` returns (logits, loss), every position's logits only with
    targets (shifted: the token after each input)."""
    kind = "nanoGPT's forward(idx, targets)"

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        return unwrap(call(self.model, idx, targets=idx))  # any valid targets: they only make it keep every position

    def training_pass(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.loss_fn is not None:
            return super().training_pass(ids)
        logits, loss = call(self.model, ids[:, :-1], targets=ids[:, 1:])
        return loss, logits


class HFAdapter(Adapter):
    """Hugging Face's keywords, whichever of them the forward takes: `attention_mask`, `position_ids`, `cache`
    (or `past_key_values`) with `use_cache`, and `labels` for its own loss."""
    kind = "Hugging Face keywords"

    def __init__(self, model, loss_fn: Callable | None = None):
        super().__init__(model, loss_fn)
        self.takes = set(parameters_of(model))
        self.cache_name = next((n for n in ("cache", "past_key_values") if n in self.takes), None)

    def _call(self, idx: torch.Tensor, **keywords):
        if "use_cache" in self.takes:
            keywords.setdefault("use_cache", False)  # a cache built on the side would turn off packed masks
        return call(self.model, idx, **keywords)

    def _need(self, keyword: str, what: str) -> None:
        if keyword not in self.takes:
            raise Unsupported(f"its forward takes no {keyword} ({what})")

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        return unwrap(self._call(idx))

    def next_logits(self, idx: torch.Tensor) -> torch.Tensor:
        if "logits_to_keep" not in self.takes:
            return super().next_logits(idx)
        return unwrap(self._call(idx, logits_to_keep=1))[:, -1]  # the output layer on one position, not T

    def padded(self, idx: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self._need("attention_mask", "padding cannot be hidden")
        positions = {"position_ids": seams.position_ids.healthy(mask)} if "position_ids" in self.takes else {}
        return unwrap(self._call(idx, attention_mask=mask, **positions))

    def packed(self, idx: torch.Tensor, documents: torch.Tensor) -> torch.Tensor:
        self._need("position_ids", "padding-free packing tells examples apart by positions that restart")
        return unwrap(self._call(idx, position_ids=seams.document_positions.healthy(documents)))

    def continued(self, idx: torch.Tensor, cut: int) -> torch.Tensor:
        if self.cache_name is None:
            raise Unsupported("its forward takes no cache (cache= or past_key_values=)")
        out = self._call(idx[:, :cut], use_cache=True)
        steps = [unwrap(out)]
        for t in range(cut, idx.shape[1]):
            past = next((c for c in (getattr(out, n, None) for n in (self.cache_name, "past_key_values"))
                         if c is not None), None)
            if past is None:
                raise Unsupported("it returned no cache when called with use_cache=True")
            out = self._call(idx[:, t:t + 1], use_cache=True, **{self.cache_name: past})
            steps.append(unwrap(out))
        return torch.cat(steps, dim=1)  # (B, T, V)

    def loss(self, idx: torch.Tensor, labels: torch.Tensor, num_items: int | None = None) -> torch.Tensor:
        if self.loss_fn is not None:
            return super().loss(idx, labels, num_items)
        self._need("labels", f"no loss of its own: {LOSS_FN}")
        extra = {"num_items_in_batch": num_items} if num_items is not None and self.counts_items else {}
        return self._call(idx, labels=labels, **extra).loss

    def training_pass(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.loss_fn is not None:
            return super().training_pass(ids)
        self._need("labels", f"no loss of its own: {LOSS_FN}")
        out = self._call(ids, labels=ids)
        return out.loss, unwrap(out)[:, :-1]

    @property
    def counts_items(self) -> bool:
        if self.loss_fn is not None:
            return super().counts_items
        return "num_items_in_batch" in self.takes or takes_any_keyword(self.model)


class LabAdapter(Adapter):
    """The lab's GPT, padded, packed, cached and trained the way the lab's own serving, packing and training code
    does it (through the seams): a break planted there shows in the checkup too."""
    kind = "the lab's GPT"

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        return call(self.model, idx)[0]

    def padded(self, idx: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return call(self.model, idx, attention_mask=mask, position_ids=seams.position_ids(mask))[0]

    def packed(self, idx: torch.Tensor, documents: torch.Tensor) -> torch.Tensor:
        return call(self.model, idx, attention_mask=seams.document_mask(documents),
                    position_ids=seams.document_positions(documents))[0]

    def continued(self, idx: torch.Tensor, cut: int) -> torch.Tensor:
        return continued(self.model, idx, cut, forward=lambda ids, **kw: call(self.model, ids, **kw))

    def training_pass(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.loss_fn is not None:
            return super().training_pass(ids)
        x, y = seams.next_token_targets(ids)  # (B, T - 1) inputs and their targets, as the lab's batches make them
        logits, loss = call(self.model, x, targets=y)
        return loss, logits

    def accumulation_gap(self, idx: torch.Tensor, labels: torch.Tensor, k: int) -> float:
        if self.loss_fn is not None:
            return super().accumulation_gap(idx, labels, k)
        y = shift_labels(labels)  # (B, T) the targets the model's loss reads
        batch = Batch(idx, y, y, y != IGNORE_INDEX)
        with torch.enable_grad():
            return accumulation_gap(copy.deepcopy(self.model), batch, k)  # the lab's train.backward, on a copy


def adapt(model, loss_fn: Callable | None = None) -> Adapter:
    """The adapter for what this model's forward takes."""
    if not callable(model):
        raise CheckupError(f"expected an nn.Module or a callable mapping ids (B, T) to logits (B, T, V), "
                           f"got {type(model).__name__}")
    if isinstance(model, GPT):
        return LabAdapter(model, loss_fn)
    takes = set(parameters_of(model))
    if takes & {"attention_mask", "position_ids", "cache", "past_key_values", "labels"}:
        return HFAdapter(model, loss_fn)
    if "targets" in takes:
        return TargetsAdapter(model, loss_fn)
    return Adapter(model, loss_fn)


@dataclass
class Subject:
    """The model under test through its adapter, the random ids every check starts from, and the learner's parts."""
    adapter: Adapter
    vocab_size: int
    seq_len: int
    batch_size: int = 2
    seed: int = 0
    embedding: nn.Module | None = None
    blocks: tuple[str, nn.ModuleList] | None = None
    trained: bool = False
    optimizer: Callable[[nn.Module], torch.optim.Optimizer] | None = None

    def ids(self, rows: int | None = None, length: int | None = None) -> tuple[torch.Tensor, torch.Generator]:
        """Random ids (rows, length) from the seed, and the generator to draw more from: each check draws its
        own, so a check measures the same whichever others run."""
        gen = torch.Generator().manual_seed(self.seed)
        return torch.randint(self.vocab_size, (rows or self.batch_size, length or self.seq_len), generator=gen), gen
