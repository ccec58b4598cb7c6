"""The configuration: one TOML file, ``${ENV}`` expansion, validation that names the key.

``model`` holds the settings model and its loading; ``searches`` the saved searches of
``[[watch.search]]``. Read by the composition root (bootstrap), the command line and the
process that runs it, never by the services or the adapters below them.
"""
