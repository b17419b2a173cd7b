"""`minimodel checkup model|batch`: the lab's detectors on your own model or batch; exit 1 when something fired."""
from __future__ import annotations

import typer

from minimodel.cli.common import app, fail, use_threads

checkup_app = typer.Typer(no_args_is_help=True, help="Audit your own model or a saved batch with the lab's "
                          "detectors: exit 1 when something fired, 0 when quiet, 2 on bad input.")


def _finish(make_report, markdown: bool) -> None:
    """Run a checkup, print its report, exit 1 if anything fired; bad input is one line and exit 2."""
    from minimodel.checkup import CheckupError

    use_threads()
    try:
        report = make_report()
    except CheckupError as e:
        fail(str(e))
    typer.echo(report.markdown() if markdown else report.text())
    raise typer.Exit(1 if report.fired else 0)


@checkup_app.command("model")
def model_cmd(target: str = typer.Argument(..., help="FILE.py:FACTORY: FACTORY() returns your model or a "
                                           "callable mapping ids (B, T) to logits (B, T, V)"),
              vocab_size: int = typer.Option(None, help="default: the model's config.vocab_size or its first "
                                             "embedding's size"),
              seq_len: int = typer.Option(32, help="tokens per random sequence (within the model's context)"),
              checks: str = typer.Option(None, help="the checks to run, by name, comma-separated (e.g. "
                                         "left_padding,cache); default: every one"),
              loss_fn: str = typer.Option(None, "--loss-fn", help="FILE.py:NAME: your loss_fn(logits, labels), "
                                          "labels aligned with the ids, for the accumulation and overfit checks"),
              optimizer: str = typer.Option(None, help="FILE.py:NAME: your optimizer(model), for the overfit check"),
              trained: bool = typer.Option(False, help="the model is trained: skip the loss-at-init check"),
              markdown: bool = typer.Option(False, help="print the report as a markdown table")) -> None:
    """Leak tests, the loss at init, and the equivalences real suites assert: left padding, batching, the KV cache,
    packing, determinism, gradient accumulation, overfit then recall."""
    def run():
        from minimodel import checkup
        from minimodel.checkup.files import load_factory, load_function
        from minimodel.checkup.forward import infer_vocab_size

        model = load_factory(target)
        V = vocab_size or infer_vocab_size(model)
        if V is None:
            raise checkup.CheckupError(f"cannot tell the vocabulary size of {type(model).__name__}; "
                                       "pass --vocab-size")
        parts = {k: load_function(v, "FILE.py:NAME", f"my_model.py:{k}", what) for k, v, what in (
            ("loss_fn", loss_fn, "a function loss_fn(logits, labels)"),
            ("optimizer", optimizer, "a function optimizer(model)")) if v}
        names = [n.strip() for n in checks.split(",")] if checks else None
        return checkup.model(model, V, seq_len=seq_len, trained=trained, checks=names, **parts)
    _finish(run, markdown)


@checkup_app.command("batch")
def batch_cmd(path: str = typer.Argument(..., help="a .pt file: a dict of tensors (input_ids, labels, "
                                         "optional attention_mask, completion_mask, prompt_lengths)"),
              eos_id: int = typer.Option(None, help="the EOS token id (enables the EOS and truncation checks)"),
              pad_id: int = typer.Option(None, help="the PAD token id"),
              ignore_index: int = typer.Option(-100, help="the label value the loss skips"),
              shifted: bool = typer.Option(None, "--shifted/--aligned", help="labels already shifted, or aligned "
                                           "with input_ids (the model shifts); default: detected"),
              markdown: bool = typer.Option(False, help="print the report as a markdown table")) -> None:
    """Labels against the batch's structure: empty rows, padding, EOS, special and prompt tokens, shifts."""
    def run():
        from minimodel import checkup
        from minimodel.checkup.files import load_batch

        return checkup.batch(load_batch(path), eos_id=eos_id, pad_id=pad_id, ignore_index=ignore_index,
                             shifted=shifted)
    _finish(run, markdown)


app.add_typer(checkup_app, name="checkup")
