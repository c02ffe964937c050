"""The register's scenario of the test world: a FINESS+ import done."""

from cooperations.models import ImportRun


def build_imports(users):
    return {
        "import_run": ImportRun.objects.create(
            register=ImportRun.Register.FINESSPLUS,
            file="imports/exemple.json",
            original_name="exemple.json",
            status=ImportRun.Status.DONE,
            report={"summary": ["Éléments lus : 2, rejets : 0"], "rejected": 0},
            created_by=users["admin"],
        )
    }
