"""GitHub: the REST client (comments, issues), the Actions environment, and Actions files (summary, outputs)."""
