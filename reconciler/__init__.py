"""va-reconciler: GitOps for TrueFoundry virtual accounts."""

__version__ = "0.1.0"
