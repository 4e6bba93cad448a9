"""The browser's type-ahead folds text exactly like the server's search (core/text.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tongdai.core.text import fold

FOLD_JS = Path(__file__).resolve().parents[1] / "src/tongdai/static/tongdai/js/fold.js"
SAMPLES = [
    "Nguyễn Văn Ấn", "Đặng Thị Bình", "ĐÀ NẴNG", "Đắk Lắk", "Thành phố Hồ Chí Minh",
    "  Bà   Rịa\t– Vũng Tàu ", "Phường Ba Đình", "Xã Ea H'Leo", "Khánh Hòa", "Khánh Hoà",
    "Thừa Thiên Huế", "Straße", "ỲỴỶỸ ỳỵỷỹ", "Ơ ơ Ư ư", "", "111", "Lào Cai",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser script")
def test_fold_js_matches_python_fold():
    script = (f"const {{fold}} = require({json.dumps(str(FOLD_JS))});"
              f"process.stdout.write(JSON.stringify({json.dumps(SAMPLES)}.map(fold)));")
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30)
    assert json.loads(result.stdout) == [fold(s) for s in SAMPLES]
    assert fold("Đà Nẵng") == "da nang"
