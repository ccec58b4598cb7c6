"""Tooling of the project that is not part of the package: the handbook's generators."""
