"""The reference grid of the diagnostic, from the seeds: annex 1 of seed 000
(themes, objectives, questions, the complementary sheet on ambulatory care)
and the two views of seed 002. A data migration loads it; admins edit it."""

OBJECTIVES = [
    ("Restructuration de l’offre", "Développer des coopérations au service de la gradation des soins."),
    ("Restructuration de l’offre", "Anticiper la diminution de la démographie médicale."),
    ("Restructuration de l’offre", "Adapter la stratégie hospitalière au contexte économique."),
]

QUESTIONS = [
    # section, label, guidance
    ("territoire", "Quels sont les besoins de santé du territoire ?",
     "À partir de l’analyse des besoins de santé : population, recours, fuites, offre existante."),
    ("territoire", "Quelles orientations du projet régional de santé s’appliquent au territoire ?",
     "Quels sont les enjeux clés en matière de réponse à une demande de soins et/ou d’amélioration de la "
     "performance des structures ?"),
    ("structure", "Quels sont les besoins de l’établissement ?", "Enjeux d’optimisation interne."),
    ("structure", "Quelles sont ses contraintes ?", "Démographie médicale, équipements, finances, autorisations."),
    ("questions", "Quelles complémentarités ?", "Entre établissements, sites, secteurs public et privé."),
    ("questions", "Quels partenaires ?", "Établissements, médecins de ville, médico-social, HAD."),
    ("questions", "Quelles mutualisations de ressources ?", "Personnels, équipements, fonctions support."),
    ("questions", "Quelle organisation des transferts ?", "Transferts de patients et d’activités entre sites."),
    ("questions", "Quelles modalités de collaboration ?", "Convention, GHT, GCS, FMIH, direction commune…"),
    ("questions", "Quelles articulations avec l’HAD, le médico-social et l’ambulatoire ?", ""),
    ("questions", "Quel partage de plateaux techniques ?", "Blocs, imagerie, biologie, stérilisation, PUI."),
    ("ambulatoire", "Quel lien avec la médecine de ville et l’ambulatoire ?",
     "Adressage, CPTS, maisons de santé, consultations avancées, plateformes de rendez-vous."),
]  # fmt: skip


def load_grid(objective_model, question_model):
    for position, (theme, label) in enumerate(OBJECTIVES, start=1):
        objective_model.objects.update_or_create(theme=theme, label=label, defaults={"position": position})
    for position, (section, label, guidance) in enumerate(QUESTIONS, start=1):
        question_model.objects.update_or_create(
            section=section, label=label, defaults={"guidance": guidance, "position": position}
        )
