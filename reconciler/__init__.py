"""va-reconciler: GitOps for TrueFoundry virtual accounts."""

__version__ = "0.1.0"

PROJECT_URL = "https://github.com/va-reconciler/va-reconciler"
"""The project's one home (also in pyproject.toml's [project.urls]; a test keeps them equal). Published schema
URLs (`reconciler.schema.schema_url`) and the README's links derive from it."""
