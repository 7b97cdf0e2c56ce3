"""What the approval chain adds to the apps below it, registered once from ``AppConfig.ready``."""

from marketplace.hiring.delivery_notes import order_reference_register

from .selectors import case_code_lines


def register() -> None:
    # A delivery note of an order that belongs to a case prints the case's code.
    order_reference_register(case_code_lines)
