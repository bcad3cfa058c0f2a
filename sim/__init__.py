"""Synthetic garbage collection-point scenes with exact ground truth (`binwatch sim`)."""
