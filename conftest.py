from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

PROJECT_DIR = Path(__file__).resolve().parent
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The team's shared NYC 311 data beside the checkout; skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _written_files_in_tmp(settings, tmp_path):
    """Rejects and open-data files of one test stay out of the project and of
    every other test."""
    settings.IMPORT_REJECTS_DIR = tmp_path / "rejects"
    settings.OPEN_DATA_DIR = tmp_path / "open-data"


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language, whatever an earlier test (or a
    page it rendered) left active in this thread."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
