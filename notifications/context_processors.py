from functools import cached_property


class _Unread:
    """The unread count of the header, read only when a page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from notifications.services import unread_count

        return unread_count(self.user)


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": _Unread(user)}
