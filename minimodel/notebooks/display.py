"""What a notebook shows: HTML, markdown and figures inside a kernel, plain text anywhere else; headless or not."""
from __future__ import annotations

import html
from dataclasses import dataclass

from minimodel import settings


def headless() -> bool:
    """True when nobody can click: MINIMODEL_HEADLESS=1 (set by `just nbval`), no notebook kernel, no ipywidgets."""
    if settings.headless_forced():
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return True
    try:
        import ipywidgets  # noqa: F401  (widgets degrade to printed text without it)
    except ImportError:
        return True
    return False


def in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def show(html_text: str, text: str) -> None:
    """Rich HTML inside a notebook (headless or not), plain text anywhere else."""
    if in_kernel():
        from IPython.display import HTML, display
        display(HTML(html_text))
    else:
        print(text)


def show_markdown(md: str) -> None:
    if in_kernel():
        from IPython.display import Markdown, display
        display(Markdown(md))
    else:
        print(md)


def show_figure(fig) -> None:
    import matplotlib.pyplot as plt

    if in_kernel():
        from IPython.display import display
        display(fig)
    plt.close(fig)


@dataclass
class Table:
    """A table drawn from one list of rows: aligned text for a terminal, escaped HTML for a notebook."""
    header: list[str]
    rows: list[list[str]]

    def text(self) -> str:
        widths = [max(len(str(x)) for x in col) for col in zip(self.header, *self.rows)]
        return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
                         for r in [self.header, *self.rows])

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.header)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'><code>{html.escape(str(c))}</code></td>"
                                        for c in r) + "</tr>" for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
