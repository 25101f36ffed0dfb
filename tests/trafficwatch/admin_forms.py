"""Fill an admin change form's POST data from the page, as a browser submits it."""

from django.forms import CheckboxInput, ClearableFileInput, MultiWidget


def field_data(bound_field) -> dict:
    widget = bound_field.field.widget
    value = bound_field.value()
    name = bound_field.html_name
    if isinstance(widget, ClearableFileInput):
        return {}
    if isinstance(widget, CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(widget, MultiWidget):
        parts = widget.decompress(value)
        return {f"{name}_{i}": "" if part is None else str(part) for i, part in enumerate(parts)}
    if value is None:
        return {name: ""}
    if isinstance(value, list | tuple):
        return {name: [str(item) for item in value]}
    return {name: str(value)}


def form_data(response, **changes) -> dict:
    """Return the data of the change form (and its inlines) response shows, with changes."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(field_data(form[name]))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = str(management[name].value())
        for inline_form in formset.forms:
            if not inline_form.instance.pk:
                continue
            for name in inline_form.fields:
                data.update(field_data(inline_form[name]))
        data[management["TOTAL_FORMS"].html_name] = str(
            sum(1 for f in formset.forms if f.instance.pk)
        )
    data.update(changes)
    return data
