"""The domain: what va-reconciler knows about virtual accounts, plans, applies and drift, as pure typed values
and functions. Standard library only (import-linter forbids every third-party package here); the edges
(`reconciler.adapters`) implement the ports declared in `ports.py`."""
