"""The tiny GPT: a nanoGPT-style decoder (pre-LN, GELU MLP, learned positions, tied head), with a KV cache.

Attention goes through the seams (mask, scale, head split, masked softmax, the padding mask). The fast path
hands the same seam-built mask and scale to PyTorch's fused `scaled_dot_product_attention` (while the mask
and the scale are the healthy ones and nothing is padded or cached, as the kernel's own causal mode: the same
numbers to the bit; a replaced scale always gets the mask, because the causal mode loses a NaN scale's NaNs);
the manual path computes the weights itself and is used whenever someone watches the `hook_pattern` probe
point, or when the softmax or the dropout seam is not the healthy one (the fused kernel only knows those).
A test proves both paths give the same outputs.

Serving stacks batch prompts of different lengths: `forward` takes an `attention_mask` over the keys (1 for a
real token, 0 for padding) and explicit `position_ids`, and a `KVCache` so that generation feeds one new token
a step instead of the whole sequence again. Tests prove padded against unpadded and cached against uncached.

The loss goes through two seams, the cross-entropy at each position and the positions its mean
is taken over, which evaluation calls too: the loss a learner reads is the loss the model trained
on. While both are healthy, one fused `cross_entropy` call computes that mean (a test proves it gives
the same gradients to the bit and the same loss to float rounding); a replaced loss seam is called
for real.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel import seams
from minimodel.probes import ProbePoint


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 16
    block_size: int = 64  # longest context the model can see
    n_layer: int = 6
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    tie_weights: bool = True  # the output head reuses the token embedding


PRESETS = {
    "seed": GPTConfig(n_layer=6, n_head=4, n_embd=128, block_size=64),  # the reference config
    "small": GPTConfig(n_layer=2, n_head=4, n_embd=64, block_size=16),  # notebooks and tests
    "tiny": GPTConfig(n_layer=1, n_head=4, n_embd=64, block_size=16),  # probes, seconds to train
    "memorise": GPTConfig(n_layer=1, n_head=4, n_embd=128, block_size=24),  # the sanity check: one sentence
}


def preset(name: str, **overrides) -> GPTConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; presets are: {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)


def shift_labels(labels: torch.Tensor) -> torch.Tensor:
    """(B, T) labels aligned with the inputs (the collator's convention) -> (B, T) targets: position t learns
    the label at t + 1; the last position, whose next token is not in the row, learns nothing."""
    return F.pad(labels[:, 1:], (0, 1), value=seams.IGNORE_INDEX)


def mean_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The loss the model trains on: `token_losses` averaged over the positions `loss_mask` keeps."""
    B, T, V = logits.shape
    if seams.is_healthy("token_losses") and seams.is_healthy("loss_mask"):  # the same mean, fused
        return F.cross_entropy(logits.view(B * T, V), targets.reshape(B * T), ignore_index=seams.IGNORE_INDEX)
    averaged = seams.loss_mask(targets)  # (B, T)
    return seams.token_losses(logits, targets)[averaged].sum() / averaged.sum()


class KVCache:
    """Every layer's keys and values of the tokens seen so far: a prefill writes the prompt's, then each decode
    step writes one more token's, so attention never recomputes the past."""

    def __init__(self, n_layer: int, B: int, n_head: int, max_T: int, head_size: int):
        self.k = torch.zeros(n_layer, B, n_head, max_T, head_size)  # (L, B, nh, max_T, hs)
        self.v = torch.zeros_like(self.k)
        self.length = 0  # tokens seen so far

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write this step's (B, nh, T, hs) keys and values; return the cache's first T_past + T of each."""
        T, seen = k.shape[2], self.length + k.shape[2]
        slot = seams.cache_slot(self.length)  # where this step's first token goes
        self.k[layer, :, :, slot:slot + T] = k
        self.v[layer, :, :, slot:slot + T] = v
        return self.k[layer, :, :, :seen], self.v[layer, :, :, :seen]  # 2 x (B, nh, T_past + T, hs)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig, layer: int = 0):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)  # q, k, v in one matmul
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.n_head, self.dropout, self.layer = cfg.n_head, cfg.dropout, layer
        self.hook_pattern = ProbePoint()  # attention weights (B, nh, T, T) pass through here

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None):
        """`mask` (B or 1, 1, T, T_past + T) bool, True where a query may look; None: causal over these T tokens."""
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (seams.split_heads(t, self.n_head) for t in (q, k, v))  # 3 x (B, nh, T, hs)
        if cache is not None:
            k, v = cache.update(self.layer, k, v)  # 2 x (B, nh, T_past + T, hs)
        plain = mask is None  # no padding, no cache: the causal mask over these T tokens
        if plain:
            mask = seams.causal_mask(T, x.device)  # (T, T) True where a query may look
        scale = seams.attention_scale(C // self.n_head)
        if self.hook_pattern.watched or not (seams.is_healthy("masked_softmax") and seams.is_healthy("dropout")):
            att = (q @ k.transpose(-2, -1)) * scale  # (B, nh, T, T_past + T)
            att = seams.masked_softmax(att, mask)  # (B, nh, T, T_past + T)
            att = self.hook_pattern(att)
            att = seams.dropout(att, self.dropout, self.training)
            y = att @ v  # (B, nh, T, hs)
        else:  # the healthy mask is the causal one: the kernel's own causal mode gives the same numbers, faster
            # (not under a replaced scale: given scale=nan, the causal mode returns finite outputs, the mask NaNs)
            causal = plain and seams.is_healthy("causal_mask") and seams.is_healthy("attention_scale")
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None if causal else mask, is_causal=causal,
                                               scale=scale, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, T, C): heads side by side again
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return seams.dropout(self.c_proj(F.gelu(self.c_fc(x))), self.dropout, self.training)


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig, layer: int = 0):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(cfg.n_embd), nn.LayerNorm(cfg.n_embd)
        self.attn, self.mlp = CausalSelfAttention(cfg, layer), MLP(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None):
        x = x + self.attn(self.ln_1(x), mask, cache)  # pre-LN: normalise, attend, add back
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.hook_embed = ProbePoint()  # the residual stream's input (B, T, C): the leak test's handle
        self.h = nn.ModuleList(Block(cfg, layer) for layer in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        if cfg.tie_weights:
            self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by depth
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / (2 * cfg.n_layer) ** 0.5)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def new_cache(self, B: int) -> KVCache:
        """An empty KV cache for a batch of B sequences of up to block_size tokens."""
        c = self.cfg
        return KVCache(c.n_layer, B, c.n_head, c.block_size, c.n_embd // c.n_head)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                cache: KVCache | None = None, labels: torch.Tensor | None = None):
        """idx (B, T) ids and targets (B, T) (the next token at each position), or `labels` (B, T) aligned with
        the inputs, which the loss shifts (`shift_labels`). For padded, packed or cached inputs: `attention_mask`
        (B, T_past + T) with 1 for a real token and 0 for padding (or (B, T, T_past + T): the keys each query
        may see), `position_ids` (B, T) (default: T_past, ..., T_past + T - 1), and the `cache` holding the
        past, which this call extends by T tokens."""
        if labels is not None:
            targets = shift_labels(labels)  # (B, T)
        B, T = idx.size()
        past = cache.length if cache is not None else 0
        assert past + T <= self.cfg.block_size, f"sequence of {past + T} tokens, block_size is {self.cfg.block_size}"
        pos = position_ids if position_ids is not None else torch.arange(past, past + T, device=idx.device)  # (B|1, T)
        x = seams.add_positions(self.wte(idx), self.wpe(pos))  # (B, T, C)
        x = seams.dropout(self.hook_embed(x), self.cfg.dropout, self.training)
        mask = None  # plain causal attention over these T tokens
        if attention_mask is not None or cache is not None:
            mask = seams.causal_mask(past + T, idx.device)[past:][None, None]  # (1, 1, T, T_past + T)
            if attention_mask is not None:  # (B, T_k) real tokens, or (B, T, T_k) each query's own keys
                keys = attention_mask.bool() if attention_mask.dim() == 3 else attention_mask.bool()[:, None, :]
                mask = seams.padding_mask(mask[0, 0], keys)  # (B, 1, T, T_past + T)
        for block in self.h:
            x = block(x, mask, cache)  # (B, T, C)
        if cache is not None:
            cache.length += T
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        loss = None if targets is None else mean_loss(logits, targets)
        return logits, loss

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters()) - self.wpe.weight.numel()
