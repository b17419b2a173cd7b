"""The clean model: manual attention equals PyTorch's SDPA, the leak test reads exactly zero."""
import torch

from minimodel import seams
from minimodel.model import GPT, PRESETS, preset
from minimodel.probes import future_attention_mass, leak_gradient, record_attention


def _model(name="small", **kw):
    torch.manual_seed(0)
    return GPT(preset(name, vocab_size=16, **kw)).eval()


def test_manual_attention_matches_sdpa():
    model = _model()
    idx = torch.randint(16, (4, 16))
    fast, _ = model(idx)  # nobody watches: the fused kernel
    with record_attention(model) as weights:
        manual, _ = model(idx)  # watched: weights materialised by hand
    assert len(weights) == model.cfg.n_layer
    assert torch.allclose(fast, manual, atol=1e-5), (fast - manual).abs().max()


def test_manual_attention_matches_reference_softmax():
    """The recorded weights are softmax(q k^T / sqrt(d)) under a lower-triangular mask."""
    model = _model(n_layer=1)
    attn = model.h[0].attn
    x = torch.randn(2, 16, model.cfg.n_embd)
    with record_attention(model) as weights:
        attn(x)
    q, k, _ = attn.c_attn(x).split(model.cfg.n_embd, dim=2)
    q, k = (t.view(2, 16, 4, -1).transpose(1, 2) for t in (q, k))
    scores = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
    ref = scores.masked_fill(torch.ones(16, 16).triu(1).bool(), float("-inf")).softmax(-1)
    assert torch.allclose(weights[0], ref, atol=1e-6)


def test_clean_model_is_causal_exactly():
    model = _model()
    assert leak_gradient(model, torch.randint(16, (2, 16))) == 0.0
    with record_attention(model) as weights:
        model(torch.randint(16, (2, 16)))
    assert future_attention_mass(weights) == 0.0


def test_leak_test_fires_without_mask():
    model = _model()
    no_mask = lambda T, device="cpu": torch.ones(T, T, dtype=torch.bool, device=device)  # noqa: E731
    with seams.replaced({"causal_mask": no_mask}):
        assert leak_gradient(model, torch.randint(16, (2, 16))) > 0.01


def test_presets_and_shapes():
    assert PRESETS["seed"].n_layer == 6 and PRESETS["seed"].n_head == 4 and PRESETS["seed"].n_embd == 128
    model = _model()
    logits, loss = model(torch.randint(16, (3, 10)), torch.randint(16, (3, 10)))
    assert logits.shape == (3, 10, 16)
    assert abs(loss.item() - torch.log(torch.tensor(16.0)).item()) < 0.3  # near ln V at init
    assert model.lm_head.weight is model.wte.weight  # tied head
