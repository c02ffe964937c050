"""Factories of the accounts: a user per role, with its scope."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from tests.cooperations.factories import region


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OBSERVER
    region = factory.LazyAttribute(lambda o: region("11") if o.role in (Role.NEGOTIATOR, Role.OBSERVER) else None)
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test-123")

    class Params:
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)
        negotiator = factory.Trait(role=Role.NEGOTIATOR)
        director = factory.Trait(role=Role.DIRECTOR)

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the object
        if create:
            obj.save()
