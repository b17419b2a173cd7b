"""`python -m minimodel.notebooks` (`just notebooks`): write every break notebook, the capstone and the drill."""
import sys

from minimodel import settings
from minimodel.notebooks import generate

if settings.checkout() is None:
    sys.exit("error: this regenerates a clone's notebooks; installed, copy yours with: minimodel notebooks DIR")
generate.write_all()
