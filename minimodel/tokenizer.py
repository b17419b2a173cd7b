"""Character tokenizer with named special tokens: PAD, BOS, PAUSE, plus a separator and a stop."""
from __future__ import annotations

import re

SPECIALS = ("<pad>", "<bos>", "<pause>")  # ids 0, 1, 2 in every vocabulary
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


class CharTokenizer:
    """One id per character; `<pad>`, `<bos>` and `<pause>` are single tokens written in angle brackets.

    The separator ('=') and the stop token ('\\n') are ordinary characters with named roles.
    """

    def __init__(self, chars: str, sep: str = "=", eos: str = "\n"):
        self.itos = list(SPECIALS) + sorted(set(chars) | {sep, eos})
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.pause_id = (self.stoi[s] for s in SPECIALS)
        self.sep_id, self.eos_id = self.stoi[sep], self.stoi[eos]

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    @property
    def special_ids(self) -> list[int]:
        """Tokens that carry no content as targets: PAD, BOS, PAUSE."""
        return [self.pad_id, self.bos_id, self.pause_id]

    def encode(self, text: str) -> list[int]:
        ids = []
        for piece in _SPECIAL_RE.split(text):
            if piece in SPECIALS:
                ids.append(self.stoi[piece])
                continue
            for ch in piece:
                if ch not in self.stoi:
                    raise ValueError(f"character {ch!r} is not in this task's vocabulary {self.itos}")
                ids.append(self.stoi[ch])
        return ids

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)

    def kind(self, token_id: int) -> str:
        """A token's kind, for per-kind losses: pad, bos, pause, sep, eos, digit or other."""
        if token_id in (self.pad_id, self.bos_id, self.pause_id):
            return SPECIALS[[self.pad_id, self.bos_id, self.pause_id].index(token_id)].strip("<>")
        if token_id == self.sep_id:
            return "sep"
        if token_id == self.eos_id:
            return "eos"
        return "digit" if self.itos[token_id].isdigit() else "other"
