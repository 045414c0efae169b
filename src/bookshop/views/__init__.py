"""The blueprints: one module each."""
