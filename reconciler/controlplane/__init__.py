"""The control-plane client: the only module (with github/) that speaks HTTP."""
