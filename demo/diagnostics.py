"""A demonstration diagnostic in progress on the demo GHT: the territory and
the establishments are real; the answers and axes are invented."""

from django.db import transaction

from cooperations.models import StructureKind
from diagnostics import services
from diagnostics.models import Axis, Diagnostic, GridQuestion

DEMO_TITLE = "Diagnostic de démonstration — "

ANSWERS = {
    "Quelles complémentarités ?": "Court séjour gériatrique à Mantes, soins de suite à Meulan, plateau technique lourd à Poissy.",
    "Quels partenaires ?": "Les membres du GHT, la CPTS du Mantois, les EHPAD du territoire.",
    "Quelles mutualisations de ressources ?": "Biologie, imagerie, temps médical de gériatrie et de psychiatrie.",
    "Quelles modalités de collaboration ?": "Conventions dans le cadre du GHT ; une FMIH de gériatrie est à l’étude.",
}


@transaction.atomic
def build_demo_diagnostic(negotiator, director):
    Diagnostic.objects.filter(title__startswith=DEMO_TITLE).delete()
    entity = director.legal_entities.order_by("pk").first()
    ght = entity.memberships.filter(structure__kind=StructureKind.GHT).select_related("structure").first().structure
    diagnostic = services.open_diagnostic(negotiator, "ght", ght, f"{DEMO_TITLE}{ght}")
    questions = {question.label: question for question in GridQuestion.objects.all()}
    services.save_answers(
        negotiator,
        diagnostic,
        {questions[label]: text for label, text in ANSWERS.items() if label in questions},
        "Population vieillissante du Mantois ; fuites vers Paris pour la chirurgie programmée ; "
        "démographie médicale tendue en gériatrie et en psychiatrie.",
        "Gradation des soins et parcours de la personne âgée ; accès aux soins non programmés.",
    )
    services.save_structure_view(
        director, diagnostic, entity,
        "Renforcer la filière gériatrique et l’accès à l’imagerie en coupe.",
        "Postes de gériatres vacants ; plateau d’imagerie saturé l’après-midi.",
    )  # fmt: skip
    for structure, _item in services.inventory(diagnostic)[:1]:
        services.qualify(negotiator, diagnostic, structure, "contrainte", "strategique", "medicales")
    members = list(diagnostic.entities().order_by("name")[:3])
    first = Axis(
        diagnostic=diagnostic,
        title="Équipe territoriale de gériatrie",
        theme="medicales",
        description="Une équipe de gériatres commune aux sites, avec une astreinte partagée.",
        pooling="Temps médical de gériatrie ; ligne d’avis pour les médecins de ville.",
        quick_win=True,
        target_group="Une équipe unique rattachée à l’établissement support.",
        impacts_group="Moins de passages aux urgences évitables.",
        impact=4,
        feasibility=4,
        other_partners="CPTS du Mantois",
    )
    services.save_axis(negotiator, first, members)
    second = Axis(
        diagnostic=diagnostic,
        title="Imagerie en coupe partagée",
        theme="plateaux_techniques",
        description="Ouvrir le scanner de Poissy aux patients des autres sites sur des créneaux réservés.",
        pooling="Scanner, IRM, télé-imagerie.",
        impact=5,
        feasibility=2,
    )
    services.save_axis(negotiator, second, members[:2])
    return diagnostic
