"""The README's demo ends with the pages: deploy/demo_pages.py builds the sample school, syncs a
real kiosk, serves, and prints an address and a sign-in that work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import REPO


def test_the_demo_prints_an_address_and_a_sign_in_that_opens_the_pages(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, str(REPO / "deploy" / "demo_pages.py"), "--port", "0", "--weeks", "1",
         "--folder", str(tmp_path / "demo"), "--lang", "en"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        printed = ""
        while "Ctrl-C" not in printed:
            line = demo.stdout.readline()
            assert line, f"the demo stopped: {printed}{demo.stderr.read() if demo.stderr else ''}"
            printed += line
        address = re.search(r"The librarian's pages: (http://127\.0\.0\.1:\d+/)", printed)
        password = re.search(r"name librarian +password (\S+)", printed)
        assert address and password, printed
        assert "event(s) sent" in printed
        s = requests.Session()
        s.trust_env = False
        form = s.get(address.group(1) + "signin", timeout=30)
        token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
        assert token is not None
        sign_in = {"signin_token": token.group(1), "name": "librarian",
                   "password": password.group(1)}  # fmt: skip
        answer = s.post(address.group(1) + "signin", data=sign_in, timeout=30)
        assert answer.status_code == 200 and "door-1" in answer.text  # today's page, door-1 on it
        weekly = s.get(address.group(1) + "weekly", timeout=30)
        assert "每周借阅统计" in weekly.text  # Chinese by default, whatever the demo printed in
    finally:
        demo.terminate()
        demo.communicate(timeout=30)
