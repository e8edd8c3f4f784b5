"""The gallery in a real browser: a demo library's gallery opened in headless Chromium.

Run by ``make test-browser`` (not by ``make test``: it needs a browser, which that target
installs from the system's packages when missing)::

    .venv/bin/python tests/browser_check.py [--out browser-check] [--chromium PATH]

It downloads the bundled fake server's catalog (``slooh demo``, on loopback), builds the
gallery, then has Chromium open every page: a harness page loads each one in a frame, makes
every lazy image load and lists the images that did not decode; Chromium's console log gives
the JavaScript errors. Screenshots of the home page (desktop and phone widths), one object
page and the file table go to ``--out``. Exit 1 on a JavaScript error, a broken image or an
empty file table; 2 when no Chromium is found.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--allow-file-access-from-files",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
]  # fmt: skip
#: Chromium's console lines that are page errors (not its own complaints about D-Bus, GPU...).
CONSOLE_ERROR = re.compile(r":CONSOLE(?::\d+)?\] \"(Uncaught|Error|TypeError|ReferenceError)")
HARNESS = """<!doctype html><html><body><pre id="result">pending</pre><script>
const pages = %s;
function check(url) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.style.width = "1280px"; frame.style.height = "900px";
    frame.onload = () => {
      const doc = frame.contentDocument;
      const images = Array.from(doc.images);
      images.forEach((image) => { image.loading = "eager"; });
      Promise.all(images.map((image) => image.complete ? null : new Promise((done) => {
        image.addEventListener("load", done); image.addEventListener("error", done);
      }))).then(() => {
        const broken = images.filter((i) => !(i.complete && i.naturalWidth > 0));
        resolve({url, images: images.length, rows: doc.querySelectorAll("#files tbody tr").length,
                 broken: broken.map((i) => i.getAttribute("src"))});
        frame.remove();
      });
    };
    frame.src = url;
    document.body.appendChild(frame);
  });
}
(async () => {
  const results = [];
  for (const url of pages) { results.push(await check(url)); }
  document.getElementById("result").textContent = JSON.stringify(results);
})();
</script></body></html>
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Check the gallery in headless Chromium.")
    parser.add_argument("--out", type=Path, default=Path("browser-check"), help="screenshots")
    parser.add_argument("--chromium", help="the browser (default: chromium on the PATH)")
    parser.add_argument("--pictures", type=int, default=60, help="pictures in the demo catalog")
    args = parser.parse_args(argv)
    browser = args.chromium or next(
        (
            found
            for name in ("chromium", "chromium-browser", "google-chrome")
            if (found := shutil.which(name))
        ),
        None,
    )
    if browser is None:
        print("no Chromium found: `make test-browser` installs it (apt-get install chromium)")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slooh-browser-") as folder:
        root = make_demo_library(Path(folder), args.pictures)
        pages = [root / "index.html", *sorted((root / ".slooh" / "gallery").rglob("*.html"))]
        problems = check_pages(browser, Path(folder), pages)
        shots = take_screenshots(browser, Path(folder), root, args.out)
    for shot in shots:
        print(f"screenshot {shot}")
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"{len(pages)} pages checked: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def make_demo_library(folder: Path, pictures: int) -> Path:
    """``slooh demo`` into ``folder/demo`` (own HOME: nothing of the user's is read), then
    its gallery."""
    from slooh_async.gallery import build_gallery
    from slooh_async.tracker import Tracker

    home = folder / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLOOH_")}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".state"), "XDG_CACHE_HOME": str(home / ".cache"),
            "SLOOH_CONFIG": str(folder / "config.json"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}  # fmt: skip
    root = folder / "demo"
    command = [sys.executable, "-m", "slooh_async", "demo", "--dest", str(root), "--quiet"]
    subprocess.run([*command, "--pictures", str(pictures)], env=env, check=True, cwd=folder,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    with Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root, lock=False) as tracker:
        report = build_gallery(tracker)
    print(f"gallery: {report.objects} objects, {report.files} files, "
          f"{report.previews_made} previews in {report.elapsed:.1f} s")  # fmt: skip
    if report.problems:
        raise SystemExit(f"the gallery build reported problems: {report.problems}")
    return root


def chromium(browser: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with a throw-away profile."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=folder)
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def check_pages(browser: str, folder: Path, pages: list[Path]) -> list[str]:
    """JavaScript errors, broken images and an empty file table, as one line each."""
    harness = folder / "harness.html"
    harness.write_text(HARNESS % json.dumps([page.as_uri() for page in pages]), "utf-8")
    run = chromium(browser, folder, "--dump-dom", harness.as_uri())
    found = re.search(r'<pre id="result">(.*?)</pre>', run.stdout, re.S)
    if not found or found.group(1) == "pending":
        return [f"the harness did not finish (exit {run.returncode}): {run.stderr[-500:]}"]
    problems = [line.strip() for line in run.stderr.splitlines() if CONSOLE_ERROR.search(line)]
    for result in json.loads(found.group(1).replace("&amp;", "&")):
        name = result["url"].rsplit("/", 1)[-1]
        problems += [f"{name}: broken image {src}" for src in result["broken"]]
        if name == "files.html" and result["rows"] == 0:
            problems.append("files.html: the file table has no rows (its script did not run)")
    return problems


def take_screenshots(browser: str, folder: Path, root: Path, out: Path) -> list[Path]:
    """The home page (desktop, phone), an object page with a colour composite, the table."""
    objects = sorted((root / ".slooh" / "gallery" / "objects").glob("*.html"))
    composite = next((p for p in objects if "Colour composite" in p.read_text("utf-8")), objects[0])
    shots = [
        ("home.png", root / "index.html", "1280,2400"),
        ("home-phone.png", root / "index.html", "390,1800"),
        ("object.png", composite, "1280,1800"),
        ("files.png", root / ".slooh" / "gallery" / "files.html", "1280,900"),
    ]
    made = []
    for name, page, size in shots:
        target = (out / name).absolute()
        chromium(browser, folder, f"--window-size={size}", f"--screenshot={target}", page.as_uri())
        if target.exists():
            made.append(target)
    return made


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
