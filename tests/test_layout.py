"""The layout rules that import-linter cannot see: no domain app reaches
another app's model by reflection, and no demo or bench code sits in a
domain app."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("accounts", "cooperations", "cpom", "indicators", "diagnostics", "core")
REFLECTION = re.compile(r"apps\.get_model\(|get_field\([^)]*\)\.related_model")
TOOLING = re.compile(r"^(bench_|demo_|generate_scale|prepare_loadtest|check_loadtest|seed_demo|scale_data|loadtest)")


def domain_sources():
    for app in DOMAIN_APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize("path", list(domain_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_domain_app_reaches_a_model_by_reflection(path):
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if REFLECTION.search(line)
    ]
    assert not found, "un import direct (ou une frontière revue), pas de réflexion : " + "; ".join(found)


def test_no_demo_or_bench_code_in_a_domain_app():
    misplaced = [str(p.relative_to(ROOT)) for p in domain_sources() if TOOLING.match(p.stem)]
    assert not misplaced, misplaced


def test_reflection_check_can_fail(tmp_path):
    sample = (
        'Model = apps.get_model("indicators", "Campaign")\nIndicator = X._meta.get_field("indicators").related_model'
    )
    assert len([line for line in sample.splitlines() if REFLECTION.search(line)]) == 2


def test_uploaded_files_are_read_by_the_one_engine():
    """The importers and the input files read CSV through core.tabular only
    (decoding, delimiter, numbered records, French reasons): no second engine."""
    readers = [*(ROOT / "cooperations" / "importers").glob("*.py"), ROOT / "indicators" / "inputs.py"]
    for path in readers:
        text = path.read_text()
        assert "csv.reader(" not in text and "csv.DictReader(" not in text, path
