"""Stand-in for the pip bootstrap script that ansible-test downloads from a CI host.

ansible-test creates an empty virtualenv for each sanity test and runs this
file (cached as ~/.ansible/test/cache/get_pip_<version>.py) with pip's
command line. That host is not reachable here, so instead we install the pip
bundled with CPython (ensurepip) and hand the command line to it; pip then
fetches the exact version ansible-test asked for from the package index.
"""

import ensurepip
import importlib
import os
import runpy
import sys

# get-pip.py takes `pip install`'s arguments plus two switches of its own.
OWN_SWITCHES = ("--no-setuptools", "--no-wheel")

# ensurepip points PIP_CONFIG_FILE at /dev/null in our own environment; restore
# it, so that pip honours the machine's configuration (index, CA bundle).
saved_environ = dict(os.environ)
ensurepip.bootstrap(upgrade=False)
os.environ.clear()
os.environ.update(saved_environ)
importlib.invalidate_caches()
sys.argv = [sys.argv[0], "install"] + [arg for arg in sys.argv[1:] if arg not in OWN_SWITCHES]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
