"""The process: the worker's lifecycle and signals, the scheduled jobs, the APScheduler wiring,
slots, the health endpoints and metrics. Above the services; only the command line uses it."""
