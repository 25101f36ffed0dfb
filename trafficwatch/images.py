"""Uploaded images: checked before they are stored, resized for the sizes pages show.

Renditions are stored beside the original ("photo.jpg" → "photo.w480.jpg"), in the same
storage (local media or S3, settings.STORAGES), and their widths are recorded on the row,
so a page writes its srcset without asking the storage what exists.
"""

from io import BytesIO
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 8000  # pixels
# The widths the pages ask for: a teaser column, the article's column, and both at 2x.
RENDITION_WIDTHS = (480, 960, 1440)
# GIFs may be animated: a resized first frame would lose the animation.
RESIZABLE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}


def check_upload(file) -> None:
    """Raise ValidationError unless file is a real image within the size limits."""
    if file.size > MAX_BYTES:
        raise ValidationError(
            _("This file is %(size)s; images may be %(limit)s at most. Save it smaller.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(MAX_BYTES)},
            code="too_large",
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF."),
            code="not_an_image",
        ) from None
    finally:
        file.seek(0)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValidationError(
            _(
                "This image is %(width)s × %(height)s pixels; the largest side may be "
                "%(limit)s pixels. Resize it first."
            )
            % {"width": width, "height": height, "limit": MAX_SIDE},
            code="too_many_pixels",
        )


def rendition_name(name: str, width: int) -> str:
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.w{width}{path.suffix}"))


def make_renditions(field_file) -> list[int]:
    """Store the renditions narrower than the original; return their widths."""
    field_file.open("rb")
    try:
        with Image.open(field_file) as original:
            image_format = RESIZABLE_FORMATS.get(original.format or "")
            if image_format is None:
                return []
            original.load()
            widths = [width for width in RENDITION_WIDTHS if width < original.width]
            for width in widths:
                height = round(original.height * width / original.width)
                resized = original.resize((width, height), Image.Resampling.LANCZOS)
                if image_format == "JPEG" and resized.mode not in ("RGB", "L"):
                    resized = resized.convert("RGB")
                buffer = BytesIO()
                resized.save(buffer, format=image_format, quality=85, optimize=True)
                name = rendition_name(field_file.name, width)
                field_file.storage.delete(name)
                field_file.storage.save(name, ContentFile(buffer.getvalue()))
            return widths
    finally:
        field_file.close()


def srcset(field_file, widths: list[int], original_width: int | None) -> str:
    """Return the srcset of the renditions and the original, narrowest first."""
    storage = field_file.storage
    candidates = [(storage.url(rendition_name(field_file.name, w)), w) for w in sorted(widths)]
    if original_width:
        candidates.append((field_file.url, original_width))
    return ", ".join(f"{url} {width}w" for url, width in candidates)
