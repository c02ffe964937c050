"""Factories of the accounts: a user per role, with its scope. A person on an
establishment's side is given his entity with ``legal_entity=`` (a director
membership; ``function=`` for another function) or several with
``entities=[...]``."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import EntityMembership, Function, Role, User
from tests.cooperations.factories import region


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)
        negotiator = factory.Trait(role=Role.NEGOTIATOR)
        director = factory.Trait(role=Role.DIRECTOR)
        contributor = factory.Trait(role=Role.DIRECTOR, function=Function.CONTRIBUTOR)
        manager = factory.Trait(manages_accounts=True)

    function = Function.DIRECTOR
    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OBSERVER
    region = factory.LazyAttribute(lambda o: region("11") if o.role in (Role.NEGOTIATOR, Role.OBSERVER) else None)
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test-123")

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the object
        if create:
            obj.save()

    @factory.post_generation
    def legal_entity(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted is not None:
            EntityMembership.objects.create(
                user=obj, legal_entity=extracted, function=kwargs.get("function") or obj._function
            )

    @factory.post_generation
    def entities(obj, create, extracted, **kwargs):  # noqa: N805
        for entity in extracted or ():
            EntityMembership.objects.create(user=obj, legal_entity=entity, function=obj._function)

    @classmethod
    def _create(cls, model_class, *args, function=Function.DIRECTOR, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        obj._function = function
        return obj

    @classmethod
    def _build(cls, model_class, *args, function=Function.DIRECTOR, **kwargs):
        return super()._build(model_class, *args, **kwargs)
