"""Headless Debian chromium through selenium, for the pages qpayd serves
(the shared convention of the browser tests: one browser per test module)."""
import os

from conftest import ROOT

CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_new(width=1280, height=900):
    """A headless chromium WebDriver that keeps the browser console's log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def console_errors(driver):
    """The SEVERE entries of the browser console since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver, name):
    """Saves build/screenshots/<name>.png and returns its path."""
    d = os.path.join(ROOT, "build", "screenshots")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{name}.png")
    driver.save_screenshot(path)
    return path
