"""The handbook's reference pages, generated from the code at build time (``make docs``).

``live`` names the objects they are read from (the command group, the settings model, the
sink and event registries, the metrics); the other modules turn them into Markdown and know
nothing of where those objects live; ``hook`` hands the pages to MkDocs.
"""
