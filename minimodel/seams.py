"""Named seams: the exact spots where real bugs live, each with its healthy behaviour.

The clean code calls `seams.causal_mask(...)`, `seams.answer_mask(...)` and so on. A break (or a
learner's fix) swaps one seam for a function with the same signature, inside `replaced(...)`.
Nothing in the library asks which break is on: it only ever calls the seam.
"""
from __future__ import annotations

import ast
import dis
import inspect
import math
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100  # the target value cross_entropy skips (PyTorch's default ignore_index)


class SeamError(ValueError):
    """A seam replacement that cannot be installed: unknown seam, wrong signature, or a clash."""


class Seam:
    """A named call site: runs the installed replacement if there is one, else the healthy code."""

    def __init__(self, fn: Callable, evaluation_only: bool = False):
        self.name = fn.__name__
        self.healthy = fn
        self.evaluation_only = evaluation_only  # training never calls it: only measuring does
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        fn = _installed.get(self.name)
        return (fn or self.healthy)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<seam {self.name}{inspect.signature(self.healthy)}>"


REGISTRY: dict[str, Seam] = {}
_installed: dict[str, Callable] = {}  # seam name -> replacement currently in force
_owners: dict[str, str] = {}  # seam name -> who installed it (for clash messages)


def seam(fn: Callable | None = None, *, evaluation_only: bool = False):
    """Declare `fn` as the healthy behaviour of a named seam (`@seam`, or `@seam(evaluation_only=True)`)."""
    def register(f: Callable) -> Seam:
        s = Seam(f, evaluation_only)
        REGISTRY[s.name] = s
        return s
    return register(fn) if fn is not None else register


def evaluation_only(names) -> bool:
    """True when every named seam only acts at evaluation: training under it is training without it."""
    return all(REGISTRY[name].evaluation_only for name in names)


def not_healthy(replacements: Mapping[str, Callable]) -> dict[str, Callable]:
    """The replacements that do not run a seam's healthy code (a fix that is the healthy code changes nothing)."""
    return {name: fn for name, fn in replacements.items() if not runs_healthy_code(name, fn)}


_MISSING = object()


def runs_healthy_code(name: str, fn: Callable) -> bool:
    """True when `fn` is seam `name`'s healthy code: the function itself, or one written word for word like it
    (a fix in a notebook: the same statements, whatever its docstring and annotations) that reads the very
    same objects for every global name it uses, with the same defaults and no closure. Such a function
    computes what the healthy one does, bit for bit, so a run under it is the healthy control's run."""
    healthy = getattr(REGISTRY.get(name), "healthy", None)
    if fn is healthy:
        return True
    if healthy is None or not inspect.isfunction(fn) or fn.__closure__ or healthy.__closure__:
        return False
    if (fn.__defaults__, fn.__kwdefaults__) != (healthy.__defaults__, healthy.__kwdefaults__):
        return False
    body = _statements(fn)
    if body is None or body != _statements(healthy):
        return False
    names = _globals_read(fn.__code__) | _globals_read(healthy.__code__)
    return all(fn.__globals__.get(n, _MISSING) is healthy.__globals__.get(n, _MISSING) for n in names)


def _statements(fn: Callable) -> str | None:
    """The function's definition as a syntax tree, without its docstring, decorators and annotations (which
    never change what it computes); None when its source cannot be read."""
    try:
        node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not isinstance(node, ast.FunctionDef):
        return None
    node.decorator_list, node.returns = [], None
    for arg in ast.walk(node.args):
        if isinstance(arg, ast.arg):
            arg.annotation = None
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        node.body = node.body[1:]
    return ast.dump(node)


def _globals_read(code) -> set[str]:
    """Every global name the code (and the code nested in it) reads or writes."""
    own = {i.argval for i in dis.get_instructions(code) if i.opname.endswith("_GLOBAL")}
    return own.union(*(_globals_read(c) for c in code.co_consts if inspect.iscode(c)))


def is_healthy(name: str) -> bool:
    """True when seam `name` runs its healthy code (nothing installed, or the healthy code itself)."""
    return _installed.get(name, REGISTRY[name].healthy) is REGISTRY[name].healthy


def check_replacement(name: str, fn: Callable) -> None:
    """Raise SeamError unless `fn` can stand in for seam `name` (known seam, same parameters)."""
    if name not in REGISTRY:
        raise SeamError(f"unknown seam {name!r}; seams are: {', '.join(sorted(REGISTRY))}")
    if not callable(fn):
        raise SeamError(f"the replacement for seam {name!r} is not a function")
    want = list(inspect.signature(REGISTRY[name].healthy).parameters)
    got = list(inspect.signature(fn).parameters)
    if got != want:
        raise SeamError(
            f"a replacement for seam {name!r} must take ({', '.join(want)}), "
            f"but {getattr(fn, '__name__', fn)!r} takes ({', '.join(got)})"
        )


@contextmanager
def replaced(replacements: Mapping[str, Callable], owner: str = "a replacement") -> Iterator[None]:
    """Install replacements for the duration of the block; refuse a seam that is already taken."""
    for name, fn in replacements.items():
        check_replacement(name, fn)
        if name in _installed:
            raise SeamError(
                f"{owner} and {_owners[name]} both replace the seam {name!r}; use one at a time"
            )
    _installed.update(replacements)
    _owners.update({name: owner for name in replacements})
    try:
        yield
    finally:
        for name in replacements:
            _installed.pop(name, None)
            _owners.pop(name, None)


# --------------------------------------------------------------------------------------------
# Attention: mask, scale, heads, softmax


@seam
def causal_mask(T: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(T, T) bool, True where query i may attend to key j: only j <= i, never the future."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


@seam
def attention_scale(head_size: int) -> float:
    """Scale scores by 1/sqrt(d_k) so their variance does not grow with the head size."""
    return 1.0 / math.sqrt(head_size)


@seam
def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """(B, T, C) -> (B, n_head, T, head_size): each head sees every position of its channels."""
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)


@seam
def masked_softmax(att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention weights: forbidden scores become -inf, then softmax over the keys (last axis)."""
    att = att.masked_fill(~mask, float("-inf"))  # (B, nh, T, T)
    return F.softmax(att, dim=-1)  # each query's row sums to one


@seam
def add_positions(tok_emb: torch.Tensor, pos_emb: torch.Tensor) -> torch.Tensor:
    """The residual stream starts as token embedding plus position embedding."""
    return tok_emb + pos_emb  # (B, T, C) + (T, C) or (B, T, C)


@seam
def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Zero a share `p` of the activations while training (scaling the rest up); at evaluation, nothing."""
    return F.dropout(x, p, training)


# --------------------------------------------------------------------------------------------
# Padded and cached inputs: the padding mask, position ids, the KV cache's write position


@seam
def padding_mask(causal: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """(T, T_k) causal mask and (B, 1 or T, T_k) keys each query may see (real tokens; its own document) ->
    (B, 1, T, T_k): a query may look at a key that is in its past and allowed. A padding query left of every
    real token has no such key, and a softmax over nothing but -inf is NaN: every query may also look at its
    own position (nobody reads a padding query's output, and no real query looks at a padding key)."""
    T, T_k = causal.shape
    own = torch.arange(T_k, device=causal.device)[None, :] == torch.arange(T_k - T, T_k, device=causal.device)[:, None]
    allowed = causal & keys  # (B, T, T_k)
    return (allowed | own)[:, None]  # (B, 1, T, T_k)


@seam
def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) attention mask (1: a real token) -> (B, T) each token's position, counted over real tokens only:
    a left-padded row's first real token is at position 0, where training put it (padding gets 0)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


@seam
def document_mask(document_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) which example each token of a packed row belongs to -> (B, T, T) bool: a token may look at the
    tokens of its own example only, as if each example had a row of its own."""
    return document_ids[:, :, None] == document_ids[:, None, :]


@seam
def document_positions(document_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) document ids of a packed row -> (B, T) positions that start again at 0 with each example."""
    T = document_ids.shape[1]
    idx = torch.arange(T, device=document_ids.device).expand_as(document_ids)  # (B, T)
    starts = torch.cat([torch.ones_like(document_ids[:, :1], dtype=torch.bool),
                        document_ids[:, 1:] != document_ids[:, :-1]], dim=1)  # (B, T) a new example begins
    first = torch.where(starts, idx, 0).cummax(dim=1).values  # (B, T) where each token's example began
    return idx - first


@seam(evaluation_only=True)
def cache_slot(past_length: int) -> int:
    """Where a step's keys and values go in the KV cache: right after the `past_length` tokens already there."""
    return past_length


# --------------------------------------------------------------------------------------------
# Data: example format, targets, target masks


@seam
def format_example(prompt: list[int], answer: list[int], sep_id: int, eos_id: int) -> list[int]:
    """One example as tokens: prompt, separator, answer, stop token."""
    return prompt + [sep_id] + answer + [eos_id]


@seam(evaluation_only=True)
def serving_prompt(prompt: list[int], start_id: int, sep_id: int) -> list[int]:
    """What a served model is given for a prompt: what training put before each answer, no more, no less: the
    token an example starts after (BOS for one example per row), the prompt, the separator."""
    return [start_id] + prompt + [sep_id]


@seam
def next_token_targets(chunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T+1) tokens -> inputs x (B, T) and targets y (B, T): y[t] is the token after x[t]."""
    return chunk[:, :-1], chunk[:, 1:]


@seam
def collator_labels(inputs: torch.Tensor, supervised: torch.Tensor) -> torch.Tensor:
    """(B, T) input ids and (B, T) bool (token t is something to learn) -> (B, T) labels in the collator's
    convention (Hugging Face's): aligned with the inputs, each label the token itself, where it is supervised.
    The model's loss shifts them, so that position t learns the token at t + 1."""
    return inputs.masked_fill(~supervised, IGNORE_INDEX)


@seam
def answer_mask(stream: torch.Tensor, starts: torch.Tensor, block_size: int, sep_id: int,
                eos_id: int) -> torch.Tensor:
    """(B, T) bool: which targets of each packed block are answer tokens (after '=', up to '\\n').

    Computed once on the whole stream, then cut with the blocks: a block that starts in the
    middle of an answer still knows those tokens are answer tokens.
    """
    pos = torch.arange(len(stream))
    last_sep = torch.where(stream == sep_id, pos, -1).cummax(0).values  # latest '=' at or before
    last_eos = torch.where(stream == eos_id, pos, -1).cummax(0).values  # latest stop at or before
    prev_eos = torch.cat([last_eos.new_tensor([-1]), last_eos[:-1]])  # latest stop strictly before
    in_answer = (last_sep > prev_eos) & (stream != sep_id)  # (N,) after a '=', up to its stop
    targets = starts[:, None] + 1 + torch.arange(block_size)  # (B, T) stream index of each target
    return in_answer[targets]


@seam
def completion_mask(answer_start: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B, T) bool: which targets of each one-example row are supervised in completion-only training.

    Everything from the answer's first token on; the padding after the stop token is removed later,
    by the special-token mask, as real supervised fine-tuning pipelines label it.
    """
    target_pos = torch.arange(1, block_size + 1)  # (T,) row position of each target
    return target_pos[None, :] >= answer_start[:, None]  # (B, T)


@seam
def mask_special_targets(targets: torch.Tensor, special_ids: list[int]) -> torch.Tensor:
    """Targets that are PAD, PAUSE or BOS carry no meaning: give them the ignore index."""
    special = torch.isin(targets, torch.tensor(special_ids, device=targets.device))
    return targets.masked_fill(special, IGNORE_INDEX)


@seam
def pad_token_id(pad_id: int, eos_id: int) -> int:
    """The id rows are padded with: its own token, never one that means something (EOS)."""
    return pad_id


# --------------------------------------------------------------------------------------------
# Loss: the cross-entropy at each position, and the positions its mean is taken over


@seam
def token_losses(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, T, V) logits and (B, T) targets -> (B, T): the cross-entropy at each position (0 where ignored)."""
    B, T, V = logits.shape
    losses = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T), ignore_index=IGNORE_INDEX,
                             reduction="none")  # (B*T,)
    return losses.view(B, T)


@seam
def loss_mask(targets: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: the positions the loss is averaged over: every supervised target, no ignored one."""
    return targets != IGNORE_INDEX


@seam
def accumulation_divisor(micro_count: int, batch_count: int, micro_batches: int) -> int:
    """What one micro-batch's summed token losses are divided by: the supervised count of the whole batch, so
    that the micro-batches' gradients add up to the full batch's mean, whatever each one holds."""
    return batch_count


# --------------------------------------------------------------------------------------------
# Generation and evaluation


@seam(evaluation_only=True)
def pick_next_token(logits: torch.Tensor) -> torch.Tensor:
    """(B, T, V) -> (B,): greedy choice from the logits at the last position."""
    return logits[:, -1, :].argmax(dim=-1)


@seam(evaluation_only=True)
def generation_budget(longest_answer: int) -> int:
    """How many tokens to generate: enough for the longest answer plus its stop token."""
    return longest_answer + 1


@seam(evaluation_only=True)
def headline_accuracy(tf_token_accuracy: float, ar_exact_match: float) -> float:
    """The accuracy a report leads with: whole answers the model generates on its own (greedy AR).

    Teacher-forced token accuracy (argmax == label with the true answer in the input) is a
    training diagnostic, not what a user of the model gets.
    """
    return ar_exact_match
