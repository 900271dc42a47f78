"""Put our pip bootstrap stand-in where ansible-test looks before it tries to download one."""

import re
import shutil
import sys
from pathlib import Path

import ansible_test

source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
versions = set(re.findall(r"pip='([0-9.]+)'", source.read_text(encoding="utf-8")))
if not versions:
    sys.exit(f"could not find ansible-test's pip version in {source}")
cache = Path.home() / ".ansible" / "test" / "cache"
cache.mkdir(parents=True, exist_ok=True)
for version in versions:
    target = cache / f"get_pip_{version.replace('.', '_')}.py"
    shutil.copyfile(Path(__file__).with_name("get_pip_stand_in.py"), target)
    print(f"pip {version} bootstrap stand-in: {target}")
