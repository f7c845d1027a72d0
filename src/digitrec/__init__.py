"""digitrec: handwritten-digit recognition, from MNIST to a drawing page."""

__version__ = "0.1.0"
