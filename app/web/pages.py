"""The web app's HTML pages (Jinja templates in ``app/web/templates``, autoescaped)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

_templates = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_page(template: str, **context: object) -> str:
    """Render one of the web app's page templates."""
    return _templates.get_template(template).render(**context)


def render(template: str, status: int, **context: object) -> HTMLResponse:
    """A page as an HTML answer with ``status``."""
    return HTMLResponse(render_page(template, **context), status_code=status)
