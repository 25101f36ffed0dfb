"""`{% script "js/x.js" %}`: a script tag with Subresource Integrity.

The browser refuses the file if its bytes differ from the hash, and the Mozilla HTTP
Observatory counts SRI on every script ("sri-implemented-and-all-scripts-loaded-securely").
"""

import base64
import hashlib
from functools import cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


def integrity(path: str) -> str:
    """Return the SRI value (sha384) of the static file path as it is served."""
    digest = hashlib.sha384(served_bytes(path)).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def served_bytes(path: str) -> bytes:
    # The manifest storage serves its hashed copy, whose content it may rewrite
    # (sourceMappingURL); without a manifest (development, tests) the finders' file is served.
    hashed_name = getattr(staticfiles_storage, "stored_name", None)
    if hashed_name is not None:
        with staticfiles_storage.open(hashed_name(path)) as served:
            return served.read()
    found = finders.find(path)
    if found is None:
        raise ValueError(f"No static file {path!r}.")
    with open(found, "rb") as source:
        return source.read()


# Files change only with a deployment, which restarts the processes; in development they
# change under a running server, so there the hash is read every time.
cached_integrity = cache(integrity)


@register.simple_tag
def script(path: str) -> str:
    """Render a deferred script tag for the static file path, with its integrity hash."""
    value = integrity(path) if settings.DEBUG else cached_integrity(path)
    return format_html('<script src="{}" integrity="{}" defer></script>', static(path), value)
