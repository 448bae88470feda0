"""Maps orgsite's top-level files (hooks/, site_template/, mkdocs.yml) into the package when a wheel is
built, so an ordinary `pip install` carries them; an editable install reads them from the checkout.

The project layout keeps them at the top level, where people look for them; the wheel is what
installs: so they are copied at build time rather than moved (orgsite/resources.py finds either).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = ("hooks", "site_template", "mkdocs.yml")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "orgsite" / "_resources"
        target.mkdir(parents=True, exist_ok=True)
        for name in RESOURCES:
            source = Path(__file__).parent / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithResources})
