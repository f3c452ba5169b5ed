"""Epochs per second of the nnlab playground, measured in headless Chromium.

    python bench/playground_speed.py [--seconds 5] [--screenshot docs/playground.png]

Starts the playground server on a free 127.0.0.1 port, opens the page in the system
Chromium (Playwright), presses Play and counts epochs and drawn frames for `--seconds`, at
Playground's default network and at 6 hidden layers of 8 neurons with every feature on.
Prints one line per configuration. `--screenshot` also saves a picture of the page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nnlab.playground.server import ServerThread  # noqa: E402

CONFIGS = {
    "default (2 features, 4-2)": "seed=0.5",
    "6 x 8, all 7 features": ("seed=0.5&networkShape=8,8,8,8,8,8&xSquared=true&ySquared=true"
                              "&xTimesY=true&sinX=true&sinY=true"),
}


def measure(page, url, seconds):
    page.goto(url)
    page.wait_for_function("window.nnlabPlayground && window.nnlabPlayground.frame")
    page.click("#play-pause-button")
    page.wait_for_function("window.nnlabPlayground.frame.epoch >= 10")
    # the page's own clock, read with the counts: a round trip to the page takes tens of ms
    read = ("[performance.now(), window.nnlabPlayground.frame.epoch, "
            "window.nnlabPlayground.stats.draws]")
    t0, epoch0, draws0 = page.evaluate(read)
    time.sleep(seconds)
    t1, epoch1, draws1 = page.evaluate(read)
    elapsed = (t1 - t0) / 1000
    page.click("#play-pause-button")
    return (epoch1 - epoch0) / elapsed, (draws1 - draws0) / elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--screenshot", default=None)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("error: needs Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with ServerThread() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for name, fragment in CONFIGS.items():
            epochs, frames = measure(page, server.url + "#" + fragment, args.seconds)
            print(f"{name}: {epochs:.0f} epochs/s, {frames:.0f} frames/s drawn, "
                  f"{epochs / max(frames, 1e-9):.2f} epochs per frame")
        if args.screenshot:
            page.goto(server.url + "#seed=0.5&play=true")
            page.wait_for_function("window.nnlabPlayground.frame.epoch >= 200", timeout=60000)
            page.click("#play-pause-button")
            page.screenshot(path=args.screenshot)
            print(f"wrote {args.screenshot}")
        browser.close()


if __name__ == "__main__":
    main()
