"""Offline replacement for the pip bootstrap script ansible-test downloads for `--venv`.

ansible-test calls it as: python get_pip.py [pip options] pip==X [more==Y] [--no-setuptools] [--no-wheel].
We seed pip from the interpreter's bundled wheel, then let that pip install the pinned packages from the
configured package index.
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
requested = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + requested)
