"""cml-action: continuous integration reports for machine learning."""

__version__ = "1.0.0"
