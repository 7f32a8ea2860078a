"""Persistence: SQLModel tables and the few queries the app needs. Ops are committed in groups, each in its own
savepoint (app/store/oplog.py)."""
