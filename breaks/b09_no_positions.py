"""Predict no effect: a causal model without any positional embedding."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def add_positions(tok_emb: torch.Tensor, pos_emb: torch.Tensor) -> torch.Tensor:
    """The residual stream starts as the token embedding."""
    return tok_emb + 0 * pos_emb  # BUG: the position embedding is dropped (kept in the graph, multiplied by 0)


def _memorised(m: Metrics, _f: Findings) -> str:
    return "yes, exactly" if m["recall"][0]["correct_share"] == 1 else "no"


BREAK = Break(
    title="Will the model still know the order of the characters?",
    phase="predict no effect",
    replaces={"add_positions": add_positions},
    recipe="memorise",
    expect="no-effect",
    questions=(
        Question("memorised", "This run adds no positional embedding at all. Will the 1-layer causal model "
                 "still regenerate 'I love machine learning' exactly, in order, from BOS?",
                 options=("yes, exactly", "no"), observe=_memorised, default="no"),
        Question("slowdown", "How many times as many steps as the healthy run will it need to bring its "
                 "training loss under 0.1?", tolerance=0.5,
                 observe=lambda m, f: f["learns_slower"].value, default=3.0),
        questions.explain("In a sentence or two: without positions, what could still tell one 'e' of the "
                          "sentence from another?"),
    ),
    # the failure learners predict, with the stated margin: none of these may fire
    symptoms=(Symptom("not_memorised"), Symptom("no_recall_from_start"), Symptom("learns_slower", 3.0),
              Symptom("tf_lags_control", 0.0), Symptom("ar_lags_control", 0.0)),
    hints=(
        "Without positions, attention sees a set of earlier tokens, not a sequence. But is it the same "
        "set at every position?",
        "The causal mask gives each position a different number of keys. A head that spreads its weight "
        "evenly gives BOS a weight of 1/(t+1): a signal of where it is.",
        "Each character's context also differs in content: the 'e' of 'love' has seen different letters "
        "from the 'e' of 'machine'. Content-based attention can tell them apart.",
        "A causal decoder can infer positions from the mask itself (Haviv et al., 2022); a bidirectional "
        "encoder without positions cannot, because it sees the same set everywhere.",
    ),
    cause="With no positional embedding the causal mask still makes every position's context different "
          "(and BOS's share of uniform attention encodes the position), so the model memorises the sentence "
          "in order, a little more slowly.",
    why="Learners expect a transformer without positions to lose word order. For a causal decoder it "
        "mostly does not: the mask itself carries position. The exercise separates what is needed from "
        "what is conventional, and why bidirectional models differ.",
    seen_in="'Transformer Language Models without Positional Encodings Still Learn Positional Information' "
            "(Haviv et al., 2022) and NoPE length-generalisation studies (Kazemnejad et al., 2023); "
            "position embeddings lost when porting models (an unused `wpe`, positions added to a copy).",
)
