from config.testing.browser import browser, new_page  # noqa: F401 (pytest fixtures)
