"""The edges: the only code that does I/O (HTTP to the control plane and GitHub, Git, the token directory).
Each implements a port of `reconciler.domain.ports` and keeps its third-party library to itself."""
