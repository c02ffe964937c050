"""The indicator library: the follow-up indicators named by seed 000 (Volet 3,
« Suivi des engagements »), plus a few declarative ones of common use. The data
migration loads it; an admin extends it in the Django admin."""

ADVANCEMENT = "Non engagé\nEngagé\nPartiellement réalisé\nRéalisé"

TEMPLATES = [
    # label, kind, value_type, unit, direction, data_source, computation, scale, description
    ("Nombre de vacations de temps médical partagé", "declaratif", "effectif", "vacations par an", "hausse",
     "Déclaration de l’établissement (tableaux de service)", "", "",
     "Demi-journées de praticiens effectuées sur un autre site que leur site d’affectation, dans le cadre de la coopération."),
    ("Nombre de postes à recrutement multi-site", "declaratif", "effectif", "postes", "hausse",
     "Déclaration de l’établissement (fichier du personnel médical)", "", "",
     "Postes médicaux ou paramédicaux pourvus avec une activité sur plusieurs sites des partenaires."),
    ("Nombre de patients adressés dans le cadre des filières", "declaratif", "effectif", "patients par an", "hausse",
     "Déclaration de l’établissement (dossier patient, courriers d’adressage)", "", "",
     "Patients adressés d’un partenaire à l’autre selon les filières prévues par l’engagement."),
    ("Taux de fuite des séjours du territoire", "automatisable", "pourcentage", "%", "baisse",
     "PMSI MCO (ATIH) : séjours des résidents du territoire", "taux_de_fuite", "",
     "Part des séjours hospitaliers des habitants du territoire réalisés hors des établissements du territoire ou du groupement."),
    ("Coût des prestations des fonctions support", "automatisable", "nombre", "€ par unité d’œuvre", "baisse",
     "Retraitement comptable (RTC) des établissements partenaires", "cout_fonctions_support", "",
     "Coût complet de la fonction support mutualisée (blanchisserie, restauration, stérilisation…) rapporté à son unité d’œuvre."),
    ("Plateforme commune de prise de rendez-vous en service", "declaratif", "oui_non", "", "atteinte",
     "Déclaration de l’établissement", "", "", "La plateforme de rendez-vous partagée entre les partenaires est ouverte aux patients."),
    ("Nombre d’actions de communication auprès des adresseurs", "declaratif", "effectif", "actions par an", "hausse",
     "Déclaration de l’établissement", "", "", "Réunions d’information, courriers aux médecins adresseurs, pages du site web unique."),
    ("État d’avancement de l’engagement", "declaratif", "echelle", "", "hausse",
     "Déclaration de l’établissement, validée par l’ARS", "", ADVANCEMENT, "Où en est la mise en œuvre de l’engagement."),
    ("Taux de fuite approché (Hospi Diag)", "automatisable", "pourcentage", "%", "baisse",
     "Hospi Diag 2022 (ATIH) : parts de marché par zone d’attractivité", "fuite_hospidiag", "",
     "Approximation publique du taux de fuite : 100 − la part de marché des membres du GHT dans la zone d’attractivité de son établissement support."),
    ("Séjours MCO de l’établissement", "automatisable", "effectif", "séjours", "hausse",
     "ScanSanté (ATIH), cartographie de l’activité MCO", "activite_mco", "",
     "Nombre de séjours et séances MCO de l’établissement dans l’année, et son évolution."),
]  # fmt: skip


def load_library(template_model):
    for position, row in enumerate(TEMPLATES, start=1):
        label, kind, value_type, unit, direction, source, computation, scale, description = row
        template_model.objects.update_or_create(
            label=label,
            defaults={
                "kind": kind,
                "value_type": value_type,
                "unit": unit,
                "direction": direction,
                "data_source": source,
                "computation": computation,
                "scale_levels": scale,
                "description": description,
                "position": position,
            },
        )
