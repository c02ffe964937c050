"""Reads of the contract that compose several models."""

from collections import defaultdict

from cpom.models import ChangeProposal


def compare_cpoms(register_cpoms, app_cpoms, register_loaded):
    """Pair the CPOMs the FINESS+ register lists with those of the
    application: a register CPOM matches the application's CPOM whose period
    holds its effective year. What stays unpaired on either side is shown."""
    unmatched_register, matched = [], set()
    for engagement in register_cpoms:
        year = engagement.effective_date.year if engagement.effective_date else None
        pair = next((c for c in app_cpoms if year and c.first_year <= year <= c.last_year), None)
        engagement.app_cpom = pair
        if pair is None:
            unmatched_register.append(engagement)
        else:
            matched.add(pair.pk)
    signed_unlisted = [c for c in app_cpoms if c.has_been_signed and c.pk not in matched] if register_loaded else []
    return {
        "register_cpoms": register_cpoms,
        "unmatched_register": unmatched_register,
        "signed_unlisted": signed_unlisted,
    }


def cpom_threads(cpom):
    """Comments and proposals, grouped by commitment (None: the CPOM as a whole)."""
    threads = defaultdict(list)
    for comment in cpom.comments.select_related("author").order_by("created_at", "pk"):
        threads[comment.commitment_id].append(comment)
    proposals = defaultdict(list)
    for proposal in ChangeProposal.objects.filter(commitment__cpom=cpom).select_related("author", "decided_by"):
        proposals[proposal.commitment_id].append(proposal)
    return threads, proposals
