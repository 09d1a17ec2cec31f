from django import template

from project.catalog import notices

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context):
    """How many notices the signed-in user has not read (0 for anyone else)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return notices.unread_count(user)
