"""Headless Debian chromium for the browser tests (docs/dashboard.md): one
driver per test module, its console read back, screenshots under
build/screenshots/."""
import os

import pytest

from conftest import ROOT

CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = os.path.join(ROOT, "build", "screenshots")


def browser_new(width=1280, height=900):
    """A headless chromium WebDriver; skips the test when chromedriver is missing."""
    if not os.path.exists(CHROMEDRIVER):
        pytest.skip(f"{CHROMEDRIVER} missing: apt-get install chromium chromium-driver "
                    "python3-selenium (make deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              f"--window-size={width},{height}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_window_size(width, height)
    return driver


def console_errors(driver):
    """The SEVERE entries of the browser's console since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver, name):
    """Saves build/screenshots/<name>.png and returns its path."""
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, f"{name}.png")
    driver.save_screenshot(path)
    return path
