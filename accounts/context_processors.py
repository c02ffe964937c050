from accounts import memberships, scopes


def acting(request):
    """The entity a person on an establishment's side acts for (the header
    says it), the entities he may switch to, and whether he manages accounts."""
    user = getattr(request, "user", None)
    if not scopes.signed_in(user):
        return {}
    return {
        "acting_membership": memberships.acting_membership(request),
        "held_memberships": memberships.held_memberships(user),
        "manages_accounts": scopes.manages_accounts(user),
        "has_role": scopes.has_role(user),
    }
