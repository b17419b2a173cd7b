"""The break catalogue, one module per break (bNN_<slug>.py, in file-name order); installed, minimodel.breaks."""
