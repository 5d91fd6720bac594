"""Maps each top-level folder into the vigil.* namespace (agent/ is vigil.agent, and so on).

pyproject.toml holds the metadata; only the renamed package list needs code.
"""

from setuptools import find_packages, setup

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

setup(
    packages=[f"vigil.{p}" for p in find_packages(include=[*ROOTS, *(f"{r}.*" for r in ROOTS)])],
    package_dir={f"vigil.{root}": root for root in ROOTS},
    package_data={f"vigil.{root}": ["**/" + pattern for pattern in DATA] + DATA for root in ROOTS},
)
