"""The notebooks: generated from breaks/ and one template (`python -m minimodel.notebooks`), and what they display."""
