"""Alert sinks. Each sink type lives in its own module; ``registry.SINK_TYPES`` lists them."""
