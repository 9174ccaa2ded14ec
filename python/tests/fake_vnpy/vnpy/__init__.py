"""Test stand-in for vn.py (see ../README.md): not the real package."""
__version__ = "4.x-test-stand-in"
STAND_IN = True
