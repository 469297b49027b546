"""New manifest files as text (`reconciler import`): a header comment, then the documents, block style, keys in
the order given. PyYAML's emitter (libyaml's when present) and its YAML 1.1 resolver decide quoting, so every
string that `tfy apply` (PyYAML's `safe_load`) would read as something else (`2027-01-31`, `yes`, `0755`,
`1:30`) is quoted, and both readers, ours (YAML 1.2 core) and tfy's, read back exactly the values written.

Editing existing files keeps their comments and layout through ruamel.yaml (`rewrite.py`); fresh files need no
round trip, and ruamel's pure-Python emitter costs about 2 ms per file where this one costs about 0.3 ms
(10,000 accounts: 23 s against 3 s; benchmarks/README.md)."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from reconciler.domain.values import JsonValue

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
WIDTH = 4096  # never fold long values such as FQNs


def manifest_text(header: Sequence[str], documents: Sequence[dict[str, JsonValue]]) -> str:
    """`header` lines (comments, `# ...`), then the documents separated by `---`."""
    body = yaml.dump_all(
        documents,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=WIDTH,
        explicit_start=False,
    )
    return "".join(f"{line}\n" for line in header) + body
