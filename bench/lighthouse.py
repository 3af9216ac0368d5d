"""Lighthouse mobile scores and first-load weight of the storefront's public pages.

Lighthouse is not part of the project: install it in a scratch folder
(`npm install lighthouse@12.8.2`) and pass its CLI with --lighthouse. Serve the site first
(`make run`, or any instance), then:

    .venv/bin/python bench/lighthouse.py --base http://127.0.0.1:5000 \
        --lighthouse /tmp/lh/node_modules/.bin/lighthouse

Each page runs once per language (`?lang=zh`, `?lang=en`) with Lighthouse's mobile preset.
Weight is what Lighthouse's network log says went over the wire on first load (compressed),
split into images and everything else (HTML, CSS, JS, fonts).
"""

import argparse
import json
import os
import subprocess
import tempfile

PAGES = {
    "home": "/",
    "region": "/regions/dangshan",
    "product": "/products/4-dangshan-crisp-pears",
    "search": "/search?q=%E9%85%A5%E6%A2%A8",
}
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)


def run_lighthouse(cli: str, url: str) -> dict:
    """One Lighthouse run of `url`; its JSON report."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [
                cli,
                url,
                "--only-categories=performance,accessibility,best-practices,seo",
                "--form-factor=mobile",
                "--output=json",
                f"--output-path={report.name}",
                f"--chrome-flags={CHROME_FLAGS}",
                "--quiet",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        )
        with open(report.name, encoding="utf-8") as handle:
            return json.load(handle)


def summarise(report: dict) -> dict:
    """Scores out of 100 and compressed kilobytes, with and without images."""
    scores = {
        name: round(category["score"] * 100) for name, category in report["categories"].items()
    }
    requests = report["audits"]["network-requests"]["details"]["items"]
    images = sum(r.get("transferSize", 0) for r in requests if r.get("resourceType") == "Image")
    total = sum(r.get("transferSize", 0) for r in requests)
    return {
        **scores,
        "kb_without_images": round((total - images) / 1024, 1),
        "kb_images": round(images / 1024, 1),
        "requests": len(requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--lighthouse", default="lighthouse")
    parser.add_argument("--page", action="append", choices=sorted(PAGES))
    args = parser.parse_args()
    print(
        "| page | language | performance | accessibility | best practices | SEO "
        "| KB without images | KB images | requests |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.page or PAGES:
        for language in ("zh", "en"):
            path = PAGES[name]
            joiner = "&" if "?" in path else "?"
            row = summarise(
                run_lighthouse(args.lighthouse, f"{args.base}{path}{joiner}lang={language}")
            )
            print(
                f"| {name} | {language} | {row['performance']} | {row['accessibility']} "
                f"| {row['best-practices']} | {row['seo']} | {row['kb_without_images']} "
                f"| {row['kb_images']} | {row['requests']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
