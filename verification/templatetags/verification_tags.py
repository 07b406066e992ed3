"""The RT verification panel on the officer's case page (services templates load it)."""

from django import template
from django_fsm import can_proceed, has_transition_perm

from verification.forms import SendToRtForm
from verification.selectors import requests_for_application

register = template.Library()


@register.inclusion_tag("verification/_officer_panel.html", takes_context=True)
def verification_panel(context, application):
    user = context["request"].user
    can_send = can_proceed(application.send_to_rt) and has_transition_perm(
        application.send_to_rt, user
    )
    can_archive_and_send = can_proceed(application.archive) and has_transition_perm(
        application.send_to_rt, user
    )
    return {
        "application": application,
        "requests": requests_for_application(application),
        "can_send": can_send,
        "can_archive_and_send": can_archive_and_send,
        "form": SendToRtForm() if can_send or can_archive_and_send else None,
        "csrf_token": context.get("csrf_token"),
    }
