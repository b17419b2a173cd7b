"""`python -m minimodel.notebooks` (`just notebooks`): write every break notebook, the capstone and the drill."""
from minimodel.notebooks import capstone, drill_notebook, generate

generate.write_all()
for other in (capstone, drill_notebook):
    print(f"wrote {other.PATH}" if other.write() else f"{other.PATH} unchanged")
