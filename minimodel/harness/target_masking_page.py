"""`just report-page`: docs/target-masking-report.md, made from the cells `just exp report-target-masking` saved.

Every claim of the source report is taken in turn, and every sentence about the lab's runs carries the count
of seeds it holds on ("on k of n seeds") and the spread of its numbers, so no sentence says more than the
seeds measured. A run that never learned the task (the held-out AR curve ends under half) is counted apart:
the masks are compared on the seeds where both runs learned, and how often each one got stuck is its own line.
"""
from __future__ import annotations

from pathlib import Path

from minimodel.harness.target_masking_report import (EXPERIMENTS, MASKS, REPORTED, RESULTS, Cell,
                                                      cells_of, load_results)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "target-masking-report.md"
STUCK = 0.5  # a run whose held-out AR exact match ends under this never learned the task
RISING = 0.01  # ... and one that gained more than this over its last eighth was still learning
VAL_LOSS, TRAIN_TF, VAL_TF, TRAIN_AR, VAL_AR = 1, 2, 3, 4, 5  # positions in Cell.values (COLUMNS)


def state(c: Cell) -> str:
    """stuck (never learned), rising (still learning at the end) or plateau, from the run's AR curve."""
    (_, before), (_, last) = c.ar_curve[-2], c.ar_curve[-1]
    return "stuck" if last < STUCK else "rising" if last - before > RISING else "plateau"


def pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def span(values: list[float], fmt=pct) -> str:
    if not values:
        return "–"
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


def loss(v: float) -> str:
    return f"{v:.3f}"


def of(n: int, total: int) -> str:
    return f"on {n} of {total} seed{'s' if total != 1 else ''}"


class Cells:
    """The saved cells, indexed by (experiment, mask, seed)."""

    def __init__(self, cells: list[Cell]):
        self.by = {(c.experiment, c.mask, c.seed): c for c in cells}
        self.steps = sorted({c.steps for c in cells})

    def arm(self, experiment: str, mask: str) -> list[Cell]:
        return sorted((c for (e, m, _), c in self.by.items() if (e, m) == (experiment, mask)), key=lambda c: c.seed)

    def seeds(self, experiment: str) -> list[int]:
        """The seeds on which every mask of the experiment was measured."""
        sets = [{c.seed for c in self.arm(experiment, m)} for m in MASKS]
        return sorted(set.intersection(*sets)) if all(sets) else []

    def pair(self, experiment: str, a: str, b: str) -> list[tuple[Cell, Cell]]:
        return [(self.by[(experiment, a, s)], self.by[(experiment, b, s)]) for s in self.seeds(experiment)]


def table(cs: Cells) -> list[str]:
    rows = ["| experiment | mask | seeds | val loss | val TF = val AR | per-seed val AR | learned: plateau / rising; "
            "stuck | answer tokens ignored | report: val loss, val TF, val AR |",
            "|---|---|---|---|---|---|---|---|---|"]
    for e in EXPERIMENTS:
        seeds = cs.seeds(e)
        for m in MASKS:
            arm = [c for c in cs.arm(e, m) if c.seed in seeds]
            if not arm:
                continue
            states = [state(c) for c in arm]
            rep = REPORTED.get((e, m))
            reported = f"{rep[VAL_LOSS]:.3f}, {pct(rep[VAL_TF])}, {pct(rep[VAL_AR])}" if rep else "–"
            per_seed = ", ".join(f"{100 * c.values[VAL_AR]:.1f}" for c in arm)
            rows.append(f"| {e} | {m} | {seeds[0]}–{seeds[-1]} ({len(seeds)}) "
                        f"| {span([c.values[VAL_LOSS] for c in arm], loss)} | {span([c.values[VAL_AR] for c in arm])} "
                        f"| {per_seed} | {states.count('plateau')} / {states.count('rising')}; {states.count('stuck')} "
                        f"| {span([c.ignored_answer_share for c in arm])} | {reported} |")
    return rows


def learned_pairs(cs: Cells, e: str, a: str, b: str) -> list[tuple[Cell, Cell]]:
    return [(x, y) for x, y in cs.pair(e, a, b) if state(x) != "stuck" and state(y) != "stuck"]


def compare(cs: Cells, e: str, a: str, b: str) -> str:
    """How `a`'s val AR compares with `b`'s on the seeds where both learned."""
    both = learned_pairs(cs, e, a, b)
    n = len(cs.seeds(e))
    if not both:
        return f"no seed of {n} where both learned"
    gaps = [100 * (x.values[VAL_AR] - y.values[VAL_AR]) for x, y in both]
    lower = sum(g < -1 for g in gaps)
    higher = sum(g > 1 for g in gaps)
    return (f"on the {len(both)} of {n} seeds where both learned, {a} ends lower by more than a point on "
            f"{lower}, higher on {higher}, within a point on {len(both) - lower - higher} (differences "
            f"{span(gaps, lambda g: f'{g:+.1f}')} points)")


def stuck_line(cs: Cells, e: str) -> str:
    n = len(cs.seeds(e))
    parts = [f"{m} {sum(state(c) == 'stuck' for c in cs.arm(e, m) if c.seed in cs.seeds(e))} of {n}" for m in MASKS]
    return "runs that never learned (val AR under half at the end): " + ", ".join(parts)


def claims(cs: Cells) -> list[str]:
    """The report's claims in turn, each sentence about the runs with its count of seeds."""
    out = []
    b16 = "block 16, 9:1"
    if cs.seeds(b16):
        n = len(cs.seeds(b16))
        lower_correct = sum(p.values[VAL_LOSS] < c.values[VAL_LOSS]
                            for p, c in cs.pair(b16, "per-block mask", "correct mask"))
        lower_whole = sum(p.values[VAL_LOSS] < w.values[VAL_LOSS]
                          for p, w in cs.pair(b16, "per-block mask", "whole stream"))
        ignored = [c.ignored_answer_share for c in cs.arm(b16, "per-block mask")]
        out += ["1. **\"With block 16 the per-block mask lowers the loss, yet costs exact match\"** (report: val AR "
                "79.1 % masked against 89.8 % on the whole stream).",
                f"   - The loss: the per-block mask's val loss is lower than the correct mask's "
                f"{of(lower_correct, n)}, "
                f"and lower than the whole stream's {of(lower_whole, n)}. It ignores {span(ignored)} of the real "
                "answer tokens: the blocks that begin inside an answer drop them, so the loss is taken over fewer and "
                "easier tokens (the lab's `loss_hides_tokens` detector measures exactly that).",
                f"   - Exact match against the correct mask: {compare(cs, b16, 'per-block mask', 'correct mask')}.",
                f"   - Against the whole stream: {compare(cs, b16, 'per-block mask', 'whole stream')}.",
                f"   - Not every run learned in {cs.steps[-1]} steps at this block size, whatever the mask: "
                f"{stuck_line(cs, b16)}."]
    b64 = [e for e in ("block 64, 9:1", "block 64, 8:2") if cs.seeds(e)]
    if b64:
        out.append("2. **\"With block 64 the mask problem is resolved.\"**")
        for e in b64:
            ignored = [c.ignored_answer_share for c in cs.arm(e, "per-block mask") if c.seed in cs.seeds(e)]
            out.append(f"   - {e}: the per-block mask still ignores {span(ignored)} of the answer tokens (a longer "
                       "block cuts fewer examples; it does not fix the bug); its exact match against the correct "
                       "mask: "
                       f"{compare(cs, e, 'per-block mask', 'correct mask')}.")
        out.append("3. **\"Without masking, AR generation collapses at block 64\"** (report: whole-stream val AR "
                   "76.7 % at 9:1 and 78.4 % at 8:2, against 88.0 % and 86.9 % masked).")
        for e in b64:
            out.append(f"   - {e}: the whole stream against the per-block mask: "
                       f"{compare(cs, e, 'whole stream', 'per-block mask')}; against the correct mask: "
                       f"{compare(cs, e, 'whole stream', 'correct mask')}.")
        out.append("   - The lab gives AR generation the context it trained on: a prompt that starts where examples "
                   "start in the stream, after the previous example's stop.")
    every = list(cs.by.values())
    equal = sum(c.tf_ar_differ == (0, 0) for c in every)
    out += ["4. **\"TF exact match overstates AR\"** (report: TF 89.6 % against AR 76.7 % for the whole stream at "
            "block 64).",
            f"   - On {equal} of {len(every)} runs, teacher-forced and greedy exact match agree example by example on "
            "1,000 train and 1,000 held-out sums.",
            "   - With greedy decoding they cannot differ from the same context: a greedy run sees the true prefix for "
            "as long as it is right, so its first mistake is the teacher-forced first mistake. A gap like the "
            "report's means the TF pass and the AR test differed in their input or their decoding (the sum inside the "
            "packed stream against a bare prompt, sampling instead of greedy, another stop rule): each a "
            "train/eval mismatch worth a break of its own, none evidence about masking."]
    if b64:
        out.append("5. **\"Train loss below val loss, yet train exact match sometimes below val\"** (the 9:1 paradox).")
        for e in b64:
            runs = [c for m in MASKS for c in cs.arm(e, m) if c.seed in cs.seeds(e)]
            below = sum(c.values[0] < c.values[VAL_LOSS] for c in runs)
            gaps = [100 * (c.values[TRAIN_AR] - c.values[VAL_AR]) for c in runs]
            out.append(f"   - {e}: train loss is below val loss on {below} of {len(runs)} runs; train exact match is "
                       f"below val on {sum(g < 0 for g in gaps)} of {len(runs)} (train minus val: "
                       f"{span(gaps, lambda g: f'{g:+.1f}')} points).")
        out += ["   - With 1,000 sums per split, one standard error of an exact match near 90 % is about 0.9 points, "
                "so gaps of a point or two either way are what sampling alone gives.",
                "6. **\"The 8:2 split removes the paradox.\"** Compare the two lines above: the share of runs whose "
                "train exact match is below val, at 9:1 and at 8:2."]
    return out


def render(data: dict) -> str:
    cs = Cells(cells_of(data))
    cells = list(cs.by.values())
    if not cells:
        return "# The target-masking report, re-run\n\nNo cells yet: run `just exp report-target-masking`.\n"
    seeds = {e: cs.seeds(e) for e in EXPERIMENTS}
    measured = "; ".join(f"{e}: seeds {s[0]}–{s[-1]} ({len(s)})" for e, s in seeds.items() if s)
    last = max(c.finished_at for c in cells)
    threads = sorted({c.threads for c in cells})
    isas = sorted({c.isa for c in cells})
    lines = [
        "# The target-masking report, re-run: what holds and what does not",
        "",
        "The lab's source material includes an experiment report: a GPT with 6 layers, 4 heads and width 128, "
        "trained on 10,000 unpadded 2-digit sums (split 9:1, and also 8:2), packed into blocks of 16 and of 64 "
        "tokens, with the loss over the whole stream (\"No Mask\") or under an answer-only mask computed per block "
        "(\"Target Mask\", the lab's `broken-truncated-mask`). `just exp report-target-masking` trains every cell "
        f"of its tables on that configuration (batch 32, AdamW at 3e-3 after 100 warm-up steps, {cs.steps[-1]} "
        "steps), adds the correct answer mask as a third column, and measures 1,000 train and 1,000 held-out sums "
        "the report's way. Each cell is saved as it finishes (`docs/measurements/target-masking.json`); this page "
        "is generated from those cells by `just report-page`.",
        "",
        f"Measured: {measured}; one run per cell, {'/'.join(map(str, threads))} thread(s), instruction set "
        f"{', '.join(isas)}, on {data.get('machine', 'an unrecorded machine')}; last cell finished {last}. "
        "Command: `just exp report-target-masking --seeds 0-9` (a subset: `--experiments \"block 16, 9:1\"`).",
        "",
        "## The numbers",
        "",
        "A range is the lowest and highest over the seeds. A run *learned* when its held-out AR exact match "
        f"(measured on 400 sums at every eighth of the run) ends at {pct(STUCK)} or more: on a *plateau* when it "
        f"gained at most {100 * RISING:.0f} point over the last eighth, *rising* otherwise; it is *stuck* when it "
        "ends under that.",
        "",
        *table(cs),
        "",
        "Which runs learn is not a property of the seed alone. On this configuration the held-out exact match "
        "stays near zero for a while and then climbs within a few hundred steps, and the step it starts climbing "
        "at moves with the kernels' rounding: the same seed run on another CPU, another instruction set or "
        "another thread count can learn a few hundred steps earlier or later, so a run stuck here may learn "
        "there and the other way round, and its loss and exact match move with it. The share of answer tokens a "
        "mask ignores comes from the data alone and is the same everywhere; TF = AR example by example holds on "
        "every CPU. That is why each claim below is counted over seeds, never read off one run.",
        "",
        "## Claim by claim",
        "",
        *claims(cs),
        "",
        "## What the lab takes from it",
        "",
        "- **Kept:** the per-block mask (`broken-truncated-mask`), with its loss that reads low and the answer "
        "tokens it ignores; the advice to compare TF and AR from the same context; `broken-tf-eval`, which shows "
        "TF overstating AR on a half-trained model.",
        "- **Not declared:** an exact-match cost of the per-block mask, and whole-stream training collapsing "
        "generation: the counts above say on how many seeds each held.",
        "",
    ]
    return "\n".join(lines)


def write_page(path: Path = PAGE, results: Path = RESULTS) -> bool:
    """Write the page from the saved cells; True when it changed."""
    from minimodel.files import write_text

    text = render(load_results(results))
    if path.exists() and path.read_text() == text:
        return False
    write_text(path, text)
    return True
