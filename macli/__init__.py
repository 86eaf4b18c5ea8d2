"""macli: the office work of a medical assistant, from the command line."""

__version__ = "0.1.0"
