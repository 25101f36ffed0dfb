import re
from email.message import EmailMessage

CONFIRM_LINK = re.compile(r"https?://\S+/newsletter/confirm/[^/\s]+/")


def confirm_link(message: EmailMessage) -> str:
    """Return the confirmation link in the plain-text part of message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return CONFIRM_LINK.search(text)[0]
