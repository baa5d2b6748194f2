"""The house rules that keep the project in shape: layering, entry points, set-up commands."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("geo", "routing", "segments")
WEB_AND_STORAGE = {"fastapi", "starlette", "folium", "branca", "uvicorn", "jinja2", "sqlalchemy"}


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_import_no_web_or_database(package: str) -> None:
    assert _imports(package) & WEB_AND_STORAGE == set()
    assert "app" not in _imports(package)


def test_dependencies_point_one_way() -> None:
    assert _imports("geo") & {"routing", "segments", "app"} == set()
    assert "routing" not in _imports("segments")
    assert "segments" not in _imports("routing")


def test_dockerfile_runs_the_packaged_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    scripts = project["project"]["scripts"]
    assert scripts == {"canvass": "app.cli:main"}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD \[(.*)\]$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert cmd.group(1).split(",")[0:2] == ['"canvass"', ' "serve"']
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in {pattern.rstrip("*") for pattern in included}:
        assert f"COPY {package} ./{package}" in dockerfile


def test_readme_commands_and_ci_agree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
