"""Use cases: typed functions that change models, flush, audit and raise domain errors."""
