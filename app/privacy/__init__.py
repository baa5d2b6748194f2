"""Privacy by design: do-not-contact keys, erasure tombstones, minimal walk-list fields.

Pure functions over frames and small dataclasses (no database, no web): the store keeps the
keys (``app.store.privacy``), the services erase, export and sweep (``app.services.privacy``).
"""
