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


PACKAGES = ("app", "geo", "routing", "segments")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _names_imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_the_settings_read_the_environment() -> None:
    readers = []
    for path in _modules(*PACKAGES):
        if path == ROOT / "app" / "settings.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []  # app/settings.py reads it (pydantic-settings) and exports it


def test_only_the_web_layer_speaks_http() -> None:
    web = ROOT / "app" / "web"
    outside = [
        str(path.relative_to(ROOT))
        for path in _modules(*PACKAGES)
        if web not in path.parents
        and any(n.split(".")[0] in {"fastapi", "starlette"} for n in _names_imported(path))
    ]
    assert outside == []


def test_no_module_is_a_god_module() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _modules(*PACKAGES)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


def test_inside_app_dependencies_point_one_way() -> None:
    # web -> services -> outputs -> planning; the store and the plan folder below the services.
    below = {
        "planning": {"app.web", "app.services", "app.outputs", "app.cli", "app.store"},
        "outputs": {"app.web", "app.services", "app.cli", "app.store"},
        "services": {"app.web", "app.cli"},
        "store": {"app.web", "app.services", "app.outputs", "app.planning", "app.cli"},
    }
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder, forbidden in below.items()
        for path in _modules(f"app/{folder}")
        for name in _names_imported(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert wrong == []
