"""The break catalogue's machinery: the declaration a break file fills in and its discovery in breaks/."""
from minimodel.catalogue.declaration import EXPECTS, Break, Findings, Question, Symptom, metadata_problems
from minimodel.catalogue.discovery import BASELINE, find_break, load_catalogue, valid_tags

__all__ = ["BASELINE", "EXPECTS", "Break", "Findings", "Question", "Symptom", "find_break", "load_catalogue",
           "metadata_problems", "valid_tags"]
