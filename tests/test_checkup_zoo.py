"""Every model check over a zoo of architectures the checkup never names: quiet when healthy, the model unchanged.

Thirteen Hugging Face architectures built from tiny configs (nothing is downloaded: blocks that return tuples,
ALiBi, rotary, a sliding window shorter than the sequence, a state-space model), the lab's GPT and nanoGPT-style
code. docs/checkup.md lists them.
"""
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel import checkup
from minimodel.model import GPT, preset

transformers = pytest.importorskip("transformers", reason="the hf extra is not installed: pip install -c "
                                   "constraints.txt -e '.[hf]' (checkup's Hugging Face tests only)")

V, T = 64, 16
IDS = dict(vocab_size=V, bos_token_id=0, eos_token_id=0, pad_token_id=0)  # the overfit check trains on 1, 2, ...
DECODER = dict(IDS, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
               max_position_embeddings=64)


class NanoBlock(nn.Module):
    """karpathy/nanoGPT's block, condensed: fused causal attention, then the MLP."""

    def __init__(self, C: int, n_head: int):
        super().__init__()
        self.ln_1, self.ln_2, self.n_head = nn.LayerNorm(C), nn.LayerNorm(C), n_head
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.mlp = nn.Sequential(nn.Linear(C, 4 * C), nn.GELU(), nn.Linear(4 * C, C))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in self.c_attn(self.ln_1(x)).split(C, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp(self.ln_2(x))


class NanoGPT(nn.Module):
    """nanoGPT's interface: forward(idx, targets=None) -> (logits, loss), the last position only without targets."""

    def __init__(self, vocab_size=V, block_size=64, n_layer=2, n_head=4, n_embd=32):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(wte=nn.Embedding(vocab_size, n_embd), wpe=nn.Embedding(block_size,
                                              n_embd), h=nn.ModuleList(NanoBlock(n_embd, n_head) for _ in
                                                                       range(n_layer)), ln_f=nn.LayerNorm(n_embd)))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets=None):
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(idx.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, [-1], :]), None  # inference: the last position only
        logits = self.lm_head(x)
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        decay = [p for p in self.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.parameters() if p.dim() < 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                  {"params": no_decay, "weight_decay": 0.0}], lr=learning_rate, betas=betas)


t = transformers
ZOO = {
    "Llama": lambda: t.LlamaForCausalLM(t.LlamaConfig(**DECODER, num_key_value_heads=2)),
    "Mistral (sliding window 8)": lambda: t.MistralForCausalLM(t.MistralConfig(**DECODER, num_key_value_heads=2,
                                                                                sliding_window=8)),
    "Qwen2": lambda: t.Qwen2ForCausalLM(t.Qwen2Config(**DECODER, num_key_value_heads=2)),
    "Qwen3": lambda: t.Qwen3ForCausalLM(t.Qwen3Config(**DECODER, num_key_value_heads=2, head_dim=8)),
    "Gemma": lambda: t.GemmaForCausalLM(t.GemmaConfig(**DECODER, num_key_value_heads=1, head_dim=8)),
    "Phi": lambda: t.PhiForCausalLM(t.PhiConfig(**DECODER)),
    "GPT-NeoX": lambda: t.GPTNeoXForCausalLM(t.GPTNeoXConfig(**DECODER)),
    "OPT": lambda: t.OPTForCausalLM(t.OPTConfig(**IDS, hidden_size=32, ffn_dim=64, num_hidden_layers=2,
                                                  num_attention_heads=4, max_position_embeddings=64,
                                                  word_embed_proj_dim=32)),
    "GPT-J": lambda: t.GPTJForCausalLM(t.GPTJConfig(**IDS, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                                                      rotary_dim=4)),
    "GPT-2": lambda: t.GPT2LMHeadModel(t.GPT2Config(**IDS, n_embd=32, n_layer=2, n_head=4, n_positions=64)),
    "Bloom (ALiBi)": lambda: t.BloomForCausalLM(t.BloomConfig(**IDS, hidden_size=32, n_layer=2, n_head=4)),
    "Falcon": lambda: t.FalconForCausalLM(t.FalconConfig(**IDS, hidden_size=32, num_hidden_layers=2,
                                                           num_attention_heads=4)),
    "Mamba (state space)": lambda: t.MambaForCausalLM(t.MambaConfig(**IDS, hidden_size=32, state_size=8,
                                                                    num_hidden_layers=2)),
    "the lab's GPT": lambda: GPT(preset("small", vocab_size=V, dropout=0.1)),
    "nanoGPT-style": lambda: NanoGPT(),
}
NO_PACKING = {"packed_logits_differ"}  # no position_ids to restart: ALiBi from the 2-D mask, a state-space scan
SKIPPED = {"Bloom (ALiBi)": NO_PACKING, "Mamba (state space)": NO_PACKING,
           "nanoGPT-style": {"padded_logits_differ", "cached_logits_differ", "packed_logits_differ",
                             "accumulation_differs"}}  # ids and targets only; its own loss has its own ignore index
FIRED = {"OPT": {"packed_logits_differ"}}  # OPT builds its attention mask without the position ids: see below


def _optimizer(model):
    if isinstance(model, NanoGPT):
        return model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))  # nanoGPT's own
    return torch.optim.Adam(model.parameters(), lr=1e-3)


@pytest.mark.parametrize("name", ZOO)
def test_every_architecture_is_quiet_and_unchanged(name):
    torch.manual_seed(0)
    model = ZOO[name]().eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    ids = torch.randint(V, (2, T))
    before = model(ids, targets=ids)[0] if isinstance(model, NanoGPT) else checkup_logits(model, ids)
    report = checkup.model(model, V, seq_len=T, optimizer=_optimizer)
    assert {f.name for f in report.fired} == FIRED.get(name, set()), report.text()
    assert {f.name for f in report.findings if f.value is None} == SKIPPED.get(name, set()), report.text()
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    after = model(ids, targets=ids)[0] if isinstance(model, NanoGPT) else checkup_logits(model, ids)
    assert torch.equal(before, after) and not model.training


def checkup_logits(model, ids):
    out = model(ids)
    return out[0] if isinstance(out, tuple) else out.logits


def test_opt_attends_across_packed_examples_whatever_their_position_ids():
    """Why OPT fires: under SDPA (and eager) its mask is built without the position ids, so padding-free packing
    (restarting position ids, no mask: DataCollatorWithFlattening's batches) lets each example see the ones
    packed before it. A 4-D block-diagonal mask does separate them: the finding is the model's, not the check's."""
    torch.manual_seed(0)
    model = ZOO["OPT"]().eval()
    report = checkup.model(model, V, seq_len=T, checks="packing")
    assert report["packed_logits_differ"].value > 0.05
    lengths = [T // 2, T // 4, T - T // 2 - T // 4]
    ids = torch.randint(V, (1, T))
    doc = torch.repeat_interleave(torch.arange(3), torch.tensor(lengths))[None]
    block = (doc[:, :, None] == doc[:, None, :]) & torch.ones(T, T, dtype=torch.bool).tril()
    positions = torch.cat([torch.arange(n) for n in lengths])[None]
    with torch.no_grad():
        alone = torch.cat([model(part).logits[0] for part in ids.split(lengths, dim=1)])
        masked = model(ids, attention_mask=block[:, None], position_ids=positions).logits[0]
    assert (masked - alone).abs().max() / alone.abs().max() < 1e-5


@pytest.mark.parametrize("page", ["docs/checkup.md", "README.md"])
def test_the_checkup_page_and_the_readme_list_every_architecture_of_the_zoo(page):
    text = (Path(__file__).resolve().parents[1] / page).read_text()
    assert [name for name in ZOO if name.split(" (")[0] not in text] == []

