"""The read-only web dashboard: Flask views over ``monitor.store``'s dashboard queries.

``create_app`` (app.py) builds the WSGI application; ``serve.py`` opens a database read-only
and serves it, on its own port (``cqc-monitor dashboard``) or beside ``run``'s health
endpoints.
"""
