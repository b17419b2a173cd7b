"""Generated tasks, deterministic from a seed: 2-digit addition (with or without PAUSE tokens), one sentence."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from minimodel.tokenizer import CharTokenizer


@dataclass(frozen=True)
class Example:
    prompt: str  # what the model is given, e.g. "07+45" (may contain "<pause>")
    answer: str  # what it must produce after the separator, e.g. "52"


@dataclass(frozen=True)
class Task:
    name: str
    tokenizer: CharTokenizer
    train: list[Example]
    val: list[Example]
    entropy_per_example: float  # nats of randomness in one example's supervised text
    description: str
    recall: tuple[tuple[str, str], ...] = ()  # (prompt text, the exact continuation greedy decoding owes)

    @property
    def longest_answer(self) -> int:
        return max(len(self.tokenizer.encode(ex.answer)) for ex in self.train + self.val)


# The layouts a small model learns last, shown more often in training (held-out sums stay as they are).
RARE = {
    # zero-padded operands: sums under 20 (2 % of the pairs) start `1` like the 3-digit sums and are read as them
    "small sums": lambda a, b: a + b < 20,
    # operands without leading zeros: a 1-digit operand (19 % of the pairs) is a prompt layout of its own
    "1-digit operands": lambda a, b: a < 10 or b < 10,
}


def addition(seed: int = 0, n: int = 10_000, train_frac: float = 0.9, zero_pad: bool = True,
             max_pauses: int = 0, rare: str = "", copies: int = 1) -> Task:
    """`07+45=52\n`: every pair of 2-digit operands once (10,000), shuffled by `seed`, split 9:1.

    Only the operands are random, so one example carries ln(#pairs) nats; the answer, the
    separator and the stop are all determined by them. With `max_pauses`, 1..max_pauses PAUSE
    tokens follow each prompt (they are inputs, never something to predict). With `rare` (a key of
    RARE), each training example of that layout appears `copies` times (held-out sums are untouched).
    """
    rng = random.Random(seed)
    pairs = [(a, b) for a in range(100) for b in range(100)]
    rng.shuffle(pairs)
    pairs = pairs[:n]
    fmt = "{:02d}" if zero_pad else "{}"
    examples = []
    for a, b in pairs:
        prompt = f"{fmt.format(a)}+{fmt.format(b)}"
        if max_pauses:
            prompt += "<pause>" * rng.randint(1, max_pauses)
        examples.append(Example(prompt, str(a + b)))
    n_train = round(len(examples) * train_frac)
    train, val = examples[:n_train], examples[n_train:]
    if copies > 1:
        train = train + [ex for ex, ab in zip(train, pairs) if RARE[rare](*ab)] * (copies - 1)
        random.Random(seed).shuffle(train)
    name = ("addition" if zero_pad else "unpadded-addition") if not max_pauses else "padded-addition"
    desc = (f"2-digit addition{' (zero-padded operands)' if zero_pad else ''}"
            f"{f', 1-{max_pauses} PAUSE tokens after each prompt' if max_pauses else ''}: "
            f"{len(examples)} examples, {n_train} train / {len(examples) - n_train} val"
            f"{f', each train example with {rare} {copies} times' if copies > 1 else ''}")
    return Task(name=name if copies == 1 else f"{name}-balanced", tokenizer=CharTokenizer("0123456789+"),
                train=train, val=val, entropy_per_example=math.log(len(pairs)), description=desc)


SENTENCE = "I love machine learning"


def memorise(seed: int = 0, text: str = SENTENCE, train_frac: float = 0.9) -> Task:
    """One sentence, character by character: `I love machine learning\\n`, the lab's sanity check.

    The first space is the separator, so the sentence is an ordinary example (prompt "I", answer
    "love machine learning"). Nothing in it is random (entropy 0, whatever the seed): a model that
    memorised it regenerates the rest exactly from each `recall` prompt, the empty one (BOS alone)
    included. There is nothing to split: `train_frac` is accepted for a uniform signature and ignored.
    """
    prompt, answer = text.split(" ", 1)
    sentence = Example(prompt, answer)
    recall = tuple((text[:n], text[n:] + "\n") for n in (0, 1, 3))  # "", "I", "I l"
    return Task(name="memorise", tokenizer=CharTokenizer(text, sep=" "), train=[sentence],
                val=[sentence], entropy_per_example=0.0, recall=recall,
                description=f"memorise one sentence, {text!r}, from BOS")


TASKS = {"addition": addition,
         "memorise": memorise,
         "padded-addition": lambda seed=0, **kw: addition(seed, max_pauses=4, **kw),
         # `7+45=52\n`: operands written without leading zeros, so a prompt's length varies
         "unpadded-addition": lambda seed=0, **kw: addition(seed, zero_pad=False, **kw),
         # the same, each training example with a 1-digit operand 4 times: on the natural mix (19 % of
         # the pairs) a small model learns those last, stalling near 50 % on them when the rest is at 100 %
         "unpadded-addition-balanced": lambda seed=0, **kw: addition(seed, zero_pad=False, rare="1-digit operands",
                                                                     copies=4, **kw),
         # zero-padded, each training sum under 20 4 times: on the natural mix a small model answers them `19`
         # or `9` long after every other sum is right
         "addition-balanced": lambda seed=0, **kw: addition(seed, rare="small sums", copies=4, **kw)}


def make_task(name: str, seed: int = 0, **kwargs) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; tasks are: {', '.join(TASKS)}")
    return TASKS[name](seed=seed, **kwargs)
