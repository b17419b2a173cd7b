"""Break: dropout keeps dropping activations at evaluation, whatever mode the model is in."""
import torch
import torch.nn.functional as F

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Zero a share `p` of the activations while training (scaling the rest up)."""
    return F.dropout(x, p, True)  # BUG: always on, even when the model is evaluated


def _repeat(m: Metrics, _f: Findings) -> str:
    return "exactly the same" if m["eval_repeat_change"] < 1e-6 else "different"


BREAK = Break(
    title="Evaluate the same model twice on the same data: two different answers",
    phase="serving",
    replaces={"dropout": dropout},
    recipe="rows-dropout",
    questions=(
        Question("repeat", "Two evaluations of the trained model on the same held-out batch will give logits "
                 "that are", options=("exactly the same", "different"), observe=_repeat,
                 default="exactly the same"),
        questions.ar_exact_match(tolerance=10, default=95),
        questions.explain("In a sentence or two: what does `model.eval()` switch off, and what did it miss here?"),
    ),
    symptoms=(Symptom("evaluations_disagree"),),  # at dropout 0.05 the scores drop a few points only: no lag
    checks=(Symptom("serving_prompt_differs"),),
    hints=(
        "Training looks like the healthy control's. Evaluate the trained model twice on the same batch: "
        "do you get the same logits?",
        "What in a transformer is random at training time, and should not be at evaluation?",
        "`model.eval()` sets `self.training = False` on every module; a functional call decides for itself "
        "what to do with that flag.",
        "The `dropout` seam calls `F.dropout(x, p, True)`: it must pass the module's own `training` flag.",
    ),
    cause="The functional dropout is called with training=True whatever the mode, so evaluation keeps dropping "
          "a share of the activations: every evaluation is a different random model, a little worse than the real "
          "one, and no two agree.",
    why="Dropout off at evaluation is one flag that nothing checks; two evaluations that must agree, and do "
        "not, catch it in a second, before any metric is believed.",
    seen_in="nanoGPT PR #240 (F.dropout in attention without the training flag), ng-video-lecture PR #62 "
            "(dropout at generation), and every `model.eval()` forgotten before an evaluation loop.",
)
