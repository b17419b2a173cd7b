"""The clean model: manual attention equals SDPA, the fused loss equals the loss seams, the leak test reads zero."""
import torch

from minimodel import seams
from minimodel.model import GPT, PRESETS, preset
from minimodel.probes import future_attention_mass, leak_gradient, record_attention
from minimodel.seams import IGNORE_INDEX


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


def test_kernel_causal_mode_equals_the_seam_built_mask_to_the_bit():
    """The fast path asks SDPA for its causal mode while the mask seam is healthy: same outputs and gradients."""
    model = _model()
    idx = torch.randint(16, (4, 16))
    logits, loss = model(idx, idx)
    causal_mode = [g.clone() for g in torch.autograd.grad(loss, list(model.parameters()))]

    def same_mask(T, device="cpu"):  # the healthy mask, from a replacement: the kernel gets it as attn_mask
        return torch.ones(T, T, dtype=torch.bool, device=device).tril()

    with seams.replaced({"causal_mask": same_mask}, "test"):
        assert not seams.is_healthy("causal_mask")
        masked, masked_loss = model(idx, idx)
        given_mask = torch.autograd.grad(masked_loss, list(model.parameters()))
    assert torch.equal(logits, masked)
    assert all(torch.equal(a, b) for a, b in zip(causal_mode, given_mask))


def test_a_nan_scale_gives_nan_outputs_on_the_fast_path():
    """A replaced scale keeps the seam-built mask: SDPA's causal mode turned a NaN scale into finite outputs."""
    model = _model()
    with seams.replaced({"attention_scale": lambda head_size: float("nan")}, "test"):
        for T in (4, 12, 16):  # the causal mode's finite outputs came at 12 (a rows recipe's block), not at 16
            logits, _ = model(torch.randint(16, (2, T)))
            assert torch.isnan(logits).all(), T


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


def _targets_with_ignored(B=4, T=16):
    targets = torch.randint(16, (B, T))
    targets[:, :5] = IGNORE_INDEX  # a prompt nobody is graded on
    targets[0, -3:] = IGNORE_INDEX  # and some padding
    return targets


def test_fused_loss_equals_the_loss_seams():
    """Healthy training uses one fused cross_entropy; the seams, called for real, give the same training."""
    def every_supervised_target(targets):  # the healthy loss_mask, written out: forces the seam path
        return targets != IGNORE_INDEX

    model = _model().train()
    idx, targets = torch.randint(16, (4, 16)), _targets_with_ignored()
    _, fused = model(idx, targets)
    fused.backward()
    fused_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with seams.replaced({"loss_mask": every_supervised_target}):
        _, plain = model(idx, targets)
    plain.backward()
    assert torch.allclose(fused, plain, rtol=1e-6, atol=0), (fused.item(), plain.item())
    assert all(torch.equal(a, p.grad) for a, p in zip(fused_grads, model.parameters()))
    logits, _ = model(idx)
    supervised = targets != IGNORE_INDEX
    per_token = seams.token_losses(logits, targets)  # (B, T)
    assert per_token.shape == (4, 16) and (per_token[~supervised] == 0).all()
    assert torch.allclose(per_token[supervised].mean(), fused, rtol=1e-6)


def test_a_replaced_loss_seam_reaches_training_and_evaluation():
    """The loss a learner reads is the loss the model trained on: one replacement changes both."""
    from minimodel.data import Batch
    from minimodel.evaluate import tf_losses
    from minimodel.tokenizer import CharTokenizer

    def every_position(targets):  # the loss averaged over padding and prompts too
        return torch.ones_like(targets, dtype=torch.bool)

    model = _model()
    idx, targets = torch.randint(16, (4, 16)), _targets_with_ignored()
    batch = Batch(idx, targets, targets.clamp(min=0), targets != IGNORE_INDEX)
    tok = CharTokenizer("0123456789+")
    _, healthy = model(idx, targets)
    healthy_eval = tf_losses(model, [batch], tok)["loss"]
    with seams.replaced({"loss_mask": every_position}):
        _, diluted = model(idx, targets)
        diluted_eval = tf_losses(model, [batch], tok)["loss"]
    share = (targets != IGNORE_INDEX).float().mean().item()
    assert abs(diluted.item() - share * healthy.item()) < 1e-5
    assert abs(diluted_eval - share * healthy_eval) < 1e-5 and abs(healthy_eval - healthy.item()) < 1e-5


def test_attention_panels_of_different_lengths_side_by_side():
    """A break may change the example itself (no separator): its panel and the control's differ in length."""
    from minimodel.plots import attention_figure

    model = _model(n_layer=1)
    panels = {}
    for name, T in (("broken", 6), ("healthy control", 7)):
        with record_attention(model) as weights:
            model(torch.randint(16, (1, T)))
        panels[name] = (weights, [str(i) for i in range(T)])
    fig = attention_figure(panels)
    assert len(fig.axes) == 2 * 4 + 1  # one layer x four heads per run, and the colour bar
