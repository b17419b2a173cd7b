"""The harness: runs a recipe, sets a break beside its healthy control, judges it, caches and checks it."""
