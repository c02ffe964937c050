"""Property-based tests: hostile text in the diagnostic forms and in its
XLSX export."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from diagnostics.forms import AnswersForm
from diagnostics.models import Diagnostic, GridQuestion
from tests.hostile import (
    FORMULAS,
    PROPERTY,
    hostile_text,
    is_french,
    neutral_cell,
    rolled_back,
    xlsx_formulas,
    xlsx_rows,
)

pytestmark = pytest.mark.usefixtures("diagnostic_scenario")


@PROPERTY
@given(texts=st.lists(hostile_text, min_size=3, max_size=3))
def test_answers_form_never_raises(world, texts):
    questions = list(GridQuestion.objects.all()[:1])
    answers = AnswersForm(
        {"health_needs": texts[0], "prs_orientations": texts[1], **{f"q{q.pk}": texts[2] for q in questions}},
        questions=questions,
        answers={},
        edited=world["diagnostic_idf"],
    )
    if not answers.is_valid():
        assert all(is_french(m) for messages in answers.errors.values() for m in messages), answers.errors


def test_diagnostic_xlsx_neutralises_formulas(world, client):
    diagnostic = world["diagnostic_idf"]
    client.force_login(world["users"]["negotiator"])
    # A fixed list rather than a search: hypothesis would spend its time shrinking a known failure.
    for text in FORMULAS:
        with rolled_back():
            Diagnostic.objects.filter(pk=diagnostic.pk).update(health_needs=text, prs_orientations=text)
            response = client.get(reverse("diagnostics:diagnostic_xlsx", args=[diagnostic.pk]))
            assert response.status_code == 200
            assert xlsx_formulas(response.content) == []
            for row in xlsx_rows(response.content):
                assert all(neutral_cell(cell) for cell in row), row
