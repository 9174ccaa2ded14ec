"""The package installs offline into a virtual environment that sees Debian's python3-zmq and
python3-msgpack (``python3 -m venv --system-site-packages``, ``pip install --no-build-isolation``), as
docs/python.md tells users, and importing it pulls in neither vnpy nor anything but pyzmq and msgpack."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from .hubproc import PYTHON_DIR

CHECK = """
import sys, mdhub
assert "site-packages" in mdhub.__file__, mdhub.__file__
assert "vnpy" not in sys.modules
try:
    import mdhub.vnpy
except ModuleNotFoundError as err:
    assert err.name == "vnpy", err
else:
    raise AssertionError("vnpy is not installed here, so mdhub.vnpy cannot import")
print("installed", mdhub.__version__, mdhub.__file__)
"""


class InstallTest(unittest.TestCase):
    def test_offline_install_into_a_venv_with_system_site_packages(self) -> None:
        work = Path(tempfile.mkdtemp(prefix="mdhub-py-install-"))
        self.addCleanup(shutil.rmtree, work, True)
        # A copy of the package, so the build leaves nothing (build/, *.egg-info) in the checkout.
        src = work / "python"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(PYTHON_DIR / name, src / name)
        shutil.copytree(PYTHON_DIR / "mdhub", src / "mdhub", ignore=shutil.ignore_patterns("__pycache__"))
        venv = work / "venv"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = lambda *cmd: subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)  # noqa: E731
        r = run(sys.executable, "-m", "venv", "--system-site-packages", str(venv))
        self.assertEqual(r.returncode, 0, f"python3 -m venv failed (Debian: apt-get install python3-venv): {r.stderr}")
        r = run(str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", str(src))
        self.assertEqual(r.returncode, 0, f"pip install failed:\n{r.stdout}\n{r.stderr}")
        r = run(str(venv / "bin" / "python"), "-c", CHECK)
        self.assertEqual(r.returncode, 0, r.stderr)
        print(f"\n{r.stdout.strip()} (venv --system-site-packages, pip install --no-build-isolation --no-index)")


if __name__ == "__main__":
    unittest.main()
