"""`python -m minimodel.notebooks` (`just notebooks`): write every break notebook and the capstone."""
from minimodel.notebooks import capstone, generate

generate.write_all()
print(f"wrote {capstone.PATH}" if capstone.write() else f"{capstone.PATH} unchanged")
