"""`python -m minimodel.cli`: the `minimodel` command (the just recipes call it this way)."""
from minimodel.cli import main

main()
