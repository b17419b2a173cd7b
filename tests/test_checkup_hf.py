"""checkup on Hugging Face models and collators, all built in memory from configs (nothing is downloaded)."""
import pytest
import torch

transformers = pytest.importorskip("transformers", reason="the hf extra is not installed: pip install -c "
                                   "constraints.txt -e '.[hf]' (checkup's Hugging Face tests only)")

from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402  (installed with transformers)
from transformers import (DataCollatorForLanguageModeling, DataCollatorForSeq2Seq, GPT2Config,  # noqa: E402
                          GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast)

from minimodel import checkup  # noqa: E402

V = 64


@pytest.fixture(scope="module")
def gpt2():
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                                      bos_token_id=0, eos_token_id=0)).eval()


def _tokenizer(pad_is_eos: bool) -> PreTrainedTokenizerFast:
    """A character-level tokenizer for sums like 12+34=46, built in memory."""
    vocab = {w: i for i, w in enumerate(["<eos>", "<pad>", *"0123456789+="])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<eos>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # one token per character
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>",
                                   pad_token="<eos>" if pad_is_eos else "<pad>")


def test_tiny_gpt2_and_llama_from_configs_are_quiet(gpt2):
    report = checkup.model(gpt2, V)
    assert report.fired == [], report.text()
    assert report["leak_test"].value == 0.0 and "blocks: transformer.h (2)" in report.notes[1]
    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64,
                                         bos_token_id=0, eos_token_id=0, pad_token_id=1))
    report = checkup.model(llama, V)
    assert report.fired == [], report.text()
    assert "embedding: model.embed_tokens; blocks: model.layers (2)" in report.notes[1]


def test_gpt2_given_an_all_ones_4d_attention_mask_leaks(gpt2):
    def forward(idx):  # a custom mask that lets every position see every other
        B, T = idx.shape
        return gpt2(idx, attention_mask=torch.ones(B, 1, T, T, dtype=torch.bool))

    report = checkup.model(forward, V, embedding=gpt2.transformer.wte, blocks=gpt2.transformer.h)
    assert report["leak_test"].fired and report["prefix_moves"].fired
    assert "blocks.0 (block 1 of 2)" in report["first_leaky_block"].summary


def test_language_modeling_collator_with_pad_equal_to_eos_never_supervises_eos():
    tok = _tokenizer(pad_is_eos=True)
    texts = ["12+34=46", "7+5=12", "50+50=100"]
    examples = [{"input_ids": tok(t)["input_ids"] + [tok.eos_token_id]} for t in texts]
    batch = DataCollatorForLanguageModeling(tok, mlm=False)(examples)
    report = checkup.batch(batch, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    assert report["eos_never_supervised"].fired and "PAD equals EOS" in report["eos_never_supervised"].summary
    assert [f.name for f in report.fired] == ["eos_never_supervised"]
    fixed = DataCollatorForLanguageModeling(_tokenizer(pad_is_eos=False), mlm=False)(examples)
    assert checkup.batch(fixed, eos_id=tok.eos_token_id, pad_id=1).fired == []


def test_completion_only_batch_truncated_leaves_a_row_without_targets():
    tok = _tokenizer(pad_is_eos=False)
    pairs = [("12+34=", "46"), ("1234567+1=", "1234568")]  # the second prompt is longer than max_length
    rows, prompts = [], []
    for prompt, answer in pairs:
        n = len(tok(prompt)["input_ids"])
        ids = tok(prompt + answer, truncation=True, max_length=8)["input_ids"]
        ids = (ids + [tok.eos_token_id])[:8]  # EOS appended, then cut to max_length
        rows.append({"input_ids": ids, "labels": [-100] * min(n, len(ids)) + ids[n:]})  # answer-only loss
        prompts.append(n)
    batch = DataCollatorForSeq2Seq(tok, padding=True)(rows)
    report = checkup.batch(batch, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id, prompt_lengths=prompts)
    assert report["rows_without_targets"].fired and "rows [1]" in report["rows_without_targets"].summary
    assert report["rows_truncated"].fired and not report["prompt_supervised"].fired


@pytest.mark.parametrize("arch", ["bloom", "falcon"])
def test_blocks_that_return_tuples_run_unchanged_under_the_checkup(arch):
    """Bloom's and Falcon's blocks return tuples the model unpacks: the checkup's hooks only observe them."""
    torch.manual_seed(0)
    if arch == "bloom":
        model = transformers.BloomForCausalLM(transformers.BloomConfig(vocab_size=V, hidden_size=32, n_layer=2,
                                                                       n_head=4))
    else:
        model = transformers.FalconForCausalLM(transformers.FalconConfig(vocab_size=V, hidden_size=32,
                                                                         num_hidden_layers=2, num_attention_heads=4))
    report = checkup.model(model.eval(), V, seq_len=16)
    assert report.fired == [], report.text()
    assert "(2)" in report.notes[1]
