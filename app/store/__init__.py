"""Persistence: SQLModel tables and the few queries the app needs. One transaction per operation."""
