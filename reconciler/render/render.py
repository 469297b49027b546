"""Jinja2, and only here. Templates ship inside the package (never read from the repository under review)
and every `{{ value }}` passes through Markdown escaping unless it is an already-escaped fragment."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reconciler.render.markdown import html_text, md_text


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else md_text(value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reconciler.render", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is md_text/html_text, applied by finalize
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["html"] = html_text
    env.filters["md"] = md_text
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
