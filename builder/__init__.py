"""newsbench: raw news articles in, a published and annotated NLP benchmark out."""

__version__ = "0.1.0"
