"""Checkup: the lab's detectors on a learner's own model, batches and generation settings, offline, in seconds.

    from minimodel import checkup
    checkup.model(my_model, vocab_size=50257).raise_on_fired()   # leaks, loss at init, the equivalences
    checkup.model(my_model, 50257, checks=["left_padding", "cache"], loss_fn=my_loss, optimizer=make_optimizer)
    print(checkup.batch(collator(examples), eos_id=tok.eos_token_id, pad_id=tok.pad_token_id))
    checkup.generation(answer_lengths, max_new_tokens=16, eos_id=2)

Each returns a Report of the lab's findings {name, fired, value, threshold, summary}.
"""
from minimodel.checkup.batch_checks import batch
from minimodel.checkup.generation_checks import generation
from minimodel.checkup.model_checks import model
from minimodel.checkup.report import CheckupError, CheckupFailed, Report

__all__ = ["model", "batch", "generation", "Report", "CheckupError", "CheckupFailed"]
