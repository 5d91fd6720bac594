"""Maps each top-level folder into the vigil.* namespace (agent/ is vigil.agent, and so on).

pyproject.toml holds the metadata; only the renamed package list needs code.
"""

from setuptools import find_namespace_packages, setup

ROOTS = ("agent", "collector", "checks", "server", "dashboards")
DATA = [
    "*.yaml",
    "*.yml",
    "*.toml",
    "*.json",
    "*.html",
    "*.css",
    "*.j2",
    "*.mako",
    "*.ini",
    "*.svg",
    "*.png",
    "*.txt",
    "*.service",
    "*.textfsm",
]

# Namespace discovery: data folders (templates, static files, default rules) are packages too,
# as setuptools expects of folders shipped inside a package.
PACKAGES = find_namespace_packages(
    include=[*ROOTS, *(f"{r}.*" for r in ROOTS)], exclude=["*.__pycache__", "*.__pycache__.*"]
)

setup(
    packages=[f"vigil.{p}" for p in PACKAGES],
    package_dir={f"vigil.{root}": root for root in ROOTS},
    package_data={f"vigil.{root}": ["**/" + pattern for pattern in DATA] + DATA for root in ROOTS},
)
