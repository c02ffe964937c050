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


# The technical sheet of each template (fiche technique): definition, what is
# counted (numerator) and over what (denominator), frequency, where the
# baseline comes from, and the evidence the establishment attaches. Unit,
# direction and source are the template's own fields above.
_DECLARED_BASELINE = (
    "Valeur de l’année civile précédant la première année du CPOM, déclarée par l’établissement lors de la "
    "négociation et arrêtée avec l’ARS ; à défaut, la première année du CPOM, notée comme telle."
)
SHEETS = {
    "Nombre de vacations de temps médical partagé": {
        "definition": "Nombre de vacations (demi-journées) de praticiens effectuées sur un site d’un partenaire "
        "autre que leur site d’affectation, dans le cadre de la coopération inscrite à l’engagement (équipe "
        "médicale de territoire, consultations avancées, temps partagé).",
        "numerator": "Somme, sur l’année civile, des demi-journées réalisées par les praticiens (PH, praticiens "
        "contractuels, assistants partagés) hors de leur site d’affectation, au titre de la convention ou du "
        "projet médical partagé. Une journée entière compte pour deux vacations ; les gardes et astreintes ne "
        "sont pas comptées.",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": _DECLARED_BASELINE,
        "evidence": "Extrait des tableaux de service ou du logiciel de gestion du temps médical (par site et par "
        "praticien) ; convention de temps partagé ou de mise à disposition.",
    },
    "Nombre de postes à recrutement multi-site": {
        "definition": "Nombre de postes médicaux ou paramédicaux pourvus au 31 décembre dont le titulaire exerce, "
        "selon sa fiche de poste, sur au moins deux sites des partenaires de l’engagement.",
        "numerator": "Postes pourvus au 31 décembre de l’année dont la fiche de poste ou le contrat prévoit une "
        "activité sur plusieurs sites des partenaires (un poste à temps partiel compte pour un).",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": "Postes multi-sites pourvus au 31 décembre de l’année précédant le CPOM, d’après le "
        "fichier du personnel médical et non médical.",
        "evidence": "Liste anonymisée des postes (métier, quotité, sites d’exercice) extraite du fichier du "
        "personnel ; fiches de poste ou conventions de mise à disposition.",
    },
    "Nombre de patients adressés dans le cadre des filières": {
        "definition": "Nombre de patients adressés par un partenaire à un autre selon les filières organisées par "
        "l’engagement (amont, aval, recours), y compris par la médecine de ville et le médico-social.",
        "numerator": "Patients distincts adressés dans l’année selon les modalités de la filière (courrier "
        "d’adressage, plateforme de rendez-vous, protocole de transfert), comptés une fois par épisode de "
        "prise en charge.",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": _DECLARED_BASELINE,
        "evidence": "Extraction du dossier patient ou de la plateforme d’adressage (nombre par mois et par "
        "partenaire, sans donnée nominative) ; protocole de la filière.",
    },
    "Taux de fuite des séjours du territoire": {
        "definition": "Part des séjours hospitaliers des habitants du territoire (zone d’attractivité du GHT, ou "
        "département) réalisés dans des établissements extérieurs au territoire ou au groupement.",
        "numerator": "Séjours de l’année, dans le champ d’activité retenu (MCO par défaut), des patients "
        "résidant sur le territoire et pris en charge hors des établissements du territoire ou du groupement.",
        "denominator": "Ensemble des séjours de l’année, dans le même champ, des patients résidant sur le "
        "territoire, quel que soit l’établissement.",
        "frequency": "annuelle",
        "baseline_origin": "Calculée par l’application sur les séjours PMSI de l’année de référence (en général "
        "l’année précédant le CPOM), avec le même territoire et le même champ d’activité.",
        "evidence": "Aucune pièce à joindre : valeur calculée par l’application à partir des séjours PMSI "
        "importés (ATIH) ; les données lues et la date du calcul sont conservées avec la valeur.",
    },
    "Coût des prestations des fonctions support": {
        "definition": "Coût complet de la fonction support mutualisée (blanchisserie, restauration, "
        "stérilisation, imagerie, biologie, pharmacie, logistique) rapporté à son unité d’œuvre.",
        "numerator": "Charges de l’année affectées à la fonction support au retraitement comptable (RTC) des "
        "établissements partenaires : personnel, consommables, amortissements, sous-traitance.",
        "denominator": "Unités d’œuvre produites dans l’année par la fonction (kilogramme de linge, repas, "
        "unité d’œuvre de stérilisation, B de biologie, ICR d’imagerie…).",
        "frequency": "annuelle",
        "baseline_origin": "Coût de l’année précédant la mutualisation ou le CPOM, calculé par l’application sur "
        "le RTC importé de cette année.",
        "evidence": "Aucune pièce à joindre : valeur calculée à partir des coûts et unités d’œuvre importés "
        "(RTC) ; l’établissement tient à disposition le détail du retraitement.",
    },
    "Plateforme commune de prise de rendez-vous en service": {
        "definition": "La plateforme de prise de rendez-vous partagée entre les partenaires est ouverte aux "
        "patients et aux adresseurs.",
        "numerator": "Constat : oui si la plateforme est en service au 31 décembre de l’année pour au moins les "
        "spécialités prévues par l’engagement, non sinon.",
        "denominator": "",
        "frequency": "ponctuelle",
        "baseline_origin": "Situation au 31 décembre de l’année précédant le CPOM (en général : non).",
        "evidence": "Capture ou adresse de la plateforme, liste des spécialités et des sites ouverts, date de "
        "mise en service.",
    },
    "Nombre d’actions de communication auprès des adresseurs": {
        "definition": "Actions d’information sur les filières menées auprès des médecins adresseurs et des "
        "partenaires (ville, médico-social) : réunions, courriers, lettres d’information, pages du site web "
        "commun.",
        "numerator": "Actions réalisées dans l’année : une réunion, un envoi (quel que soit le nombre de "
        "destinataires) ou une page publiée comptent chacun pour une action.",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": _DECLARED_BASELINE,
        "evidence": "Liste datée des actions (objet, public, nombre de participants ou de destinataires) ; "
        "invitations, comptes rendus ou copies des envois.",
    },
    "État d’avancement de l’engagement": {
        "definition": "Niveau de mise en œuvre de l’engagement, sur une échelle de quatre niveaux, de « Non "
        "engagé » à « Réalisé ».",
        "numerator": "Niveau atteint au 31 décembre de l’année, déclaré par l’établissement et validé par l’ARS "
        "au regard des étapes prévues par l’engagement.",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": "Niveau à la signature du CPOM (en général « Non engagé » ou « Engagé »).",
        "evidence": "Note d’une page sur les étapes franchies dans l’année, avec les pièces qui les attestent "
        "(convention signée, délibérations, comptes rendus de comité de pilotage).",
    },
    "Taux de fuite approché (Hospi Diag)": {
        "definition": "Approximation publique du taux de fuite : 100 moins la part de marché des membres du GHT "
        "dans la zone d’attractivité de son établissement support, pour l’activité Hospi Diag retenue.",
        "numerator": "Part de marché (en %) de l’ensemble des établissements du GHT dans la zone "
        "d’attractivité, publiée par Hospi Diag pour l’activité retenue (A1 par défaut).",
        "denominator": "100 : la valeur est 100 − la part de marché.",
        "frequency": "annuelle",
        "baseline_origin": "Hospi Diag 2022 (ATIH), dernière édition importée ; la valeur de référence est celle "
        "de cette édition.",
        "evidence": "Aucune pièce à joindre : valeur calculée à partir des parts de marché Hospi Diag importées.",
    },
    "Séjours MCO de l’établissement": {
        "definition": "Nombre de séjours et séances MCO de l’établissement (ensemble de ses sites) dans "
        "l’année, et son évolution par rapport à l’année précédente.",
        "numerator": "Séjours et séances MCO de l’année publiés par ScanSanté (ATIH) pour les FINESS de "
        "l’établissement.",
        "denominator": "",
        "frequency": "annuelle",
        "baseline_origin": "Séjours de l’année précédant le CPOM publiés par ScanSanté.",
        "evidence": "Aucune pièce à joindre : valeur calculée à partir de la cartographie ScanSanté importée.",
    },
}


def load_library(template_model):
    """Create or update the templates; with their technical sheets where the
    model has them (an older migration's model does not)."""
    has_sheets = any(field.name == "definition" for field in template_model._meta.get_fields())
    for position, row in enumerate(TEMPLATES, start=1):
        label, kind, value_type, unit, direction, source, computation, scale, description = row
        defaults = {
            "kind": kind,
            "value_type": value_type,
            "unit": unit,
            "direction": direction,
            "data_source": source,
            "computation": computation,
            "scale_levels": scale,
            "description": description,
            "position": position,
        }
        if has_sheets:
            defaults.update(SHEETS[label])
        template_model.objects.update_or_create(label=label, defaults=defaults)
