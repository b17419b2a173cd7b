"""The break catalogue: one module per break, bNN_<slug>.py, discovered in file-name order."""
