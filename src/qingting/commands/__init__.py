"""Command-line groups that plug into ``qingting`` (each module has ``register(group)``)."""
