"""Maps each top-level folder into the vigil.* namespace (agent/ is vigil.agent, and so on).

pyproject.toml holds the metadata; only the renamed package list and the one C extension need
code. The extension (the ingest fast path's loop, server/services/_fastlines.c) is optional:
where no C compiler is at hand (an agent installed on a Windows host, say) the install goes
on without it and the server runs the same loop in Python.
"""

import sys

from setuptools import Extension, find_namespace_packages, setup

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
    ext_modules=[
        Extension(
            "vigil.server.services._fastlines",
            ["server/services/_fastlines.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
            if sys.platform != "win32"
            else [],
        )
    ],
)
