"""Channel adapters: one package per channel behind the interface in ``base.py``."""
