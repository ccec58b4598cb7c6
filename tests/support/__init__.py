"""Reusable test helpers: local SMTP and HTTP receivers, throwaway TLS certificates."""
