"""Predict no effect: attention scores lose their 1/sqrt(d_k) scale in a small model."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def attention_scale(head_size: int) -> float:
    """Scale for the attention scores."""
    return 1.0  # BUG: no 1/sqrt(head_size): scores are sqrt(32), about 5.7 times larger


def _memorised(m: Metrics, _f: Findings) -> str:
    return "yes, exactly" if m["recall"][0]["correct_share"] == 1 else "no"


BREAK = Break(
    title="A line every tutorial insists on is gone: does training notice?",
    phase="predict no effect",
    replaces={"attention_scale": attention_scale},
    recipe="memorise",
    expect="no-effect",
    questions=(
        Question("memorised", "This run drops the 1/sqrt(d_k) scale of the attention scores (head size 32). "
                 "Will the 1-layer model still regenerate 'I love machine learning' exactly from BOS?",
                 options=("yes, exactly", "no"), observe=_memorised, default="no"),
        Question("slowdown", "How many times as many steps as the healthy run will it need to bring its "
                 "training loss under 0.1?", tolerance=0.5,
                 observe=lambda m, f: f["learns_slower"].value, default=3.0),
        questions.explain("In a sentence or two: why did you expect the scale to matter, and what might "
                          "make it matter less here?"),
    ),
    # the failure learners predict, with the stated margin: none of these may fire
    symptoms=(Symptom("not_memorised"), Symptom("no_recall_from_start"), Symptom("learns_slower", 1.5),
              Symptom("tf_lags_control", 0.0), Symptom("ar_lags_control", 0.0)),
    hints=(
        "The scale exists to keep the scores' variance from growing with the head size. How large are "
        "the scores of a freshly initialised model in the first place?",
        "Print q @ k.T at initialisation: with weights of std 0.02, the scores are tiny, so a factor "
        "of 5.7 leaves the softmax far from saturating.",
        "During training the query and key weights can shrink to undo any constant factor; with a "
        "head size of 32 the factor is small enough for AdamW to absorb.",
        "The scale matters when heads are large and the softmax saturates early (vanishing gradients "
        "through near one-hot weights): big models, large learning rates, long training. Not here.",
    ),
    cause="Dropping 1/sqrt(d_k) multiplies every score by sqrt(32) = 5.7; at this head size and "
          "initialisation the softmax does not saturate, and the learned query and key weights absorb the "
          "constant, so memorisation is as fast as with the scale.",
    why="Learners often predict failure for any deviation from the textbook. Measuring instead of "
        "assuming teaches which details are load-bearing at which scale, and that 'it still trains' is "
        "not proof that a line is unnecessary at scale.",
    seen_in="From-scratch attention that forgets the scale, or scales by 1/d_k, or twice (once by hand and "
            "once inside `scaled_dot_product_attention`); T5 drops it on purpose and folds it into the "
            "initialisation.",
)
