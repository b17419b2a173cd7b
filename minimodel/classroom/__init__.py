"""The classroom: learners' folders, sealed predictions and the gradebook."""
