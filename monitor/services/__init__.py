"""Use cases: the review cycle and the alert dispatcher."""
