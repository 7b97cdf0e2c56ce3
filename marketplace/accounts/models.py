from oscar.apps.customer.abstract_models import AbstractUser


class User(AbstractUser):
    """A person: logs in with an email address; organisations attach users through memberships.

    Defined from the first migration so the project never has to swap user models later.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
