"""`python -m minimodel.notebooks` (`just notebooks`): write every break notebook, the capstone and the drill."""
from minimodel.notebooks import generate

generate.write_all()
