"""Annotation: pre-annotators, annotation sheets, and the annotation tool adapters (Label Studio)."""
