from oscar.apps.catalogue.admin import *  # noqa: F403 - registers Oscar's admin for our models
