"""Adapters for the regulator's data: the Syndication API and the public website."""
