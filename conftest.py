from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The team's shared NYC 311 data beside the checkout; skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _rejects_in_tmp(settings, tmp_path):
    settings.IMPORT_REJECTS_DIR = tmp_path / "rejects"
