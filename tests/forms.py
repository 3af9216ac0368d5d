"""Forms as a browser submits them: read from the rendered page, changed only where a test says.

Tests post what the page renders (its fields, hidden inputs, defaults and CSRF token) instead of
hand-made dicts, so a field the page forgets to send, or one it does not have, shows up.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, accept)
    #: Every field name, unticked boxes included (they are worth a hostile value too).
    names: set[str] = field(default_factory=set)
    #: The first choice of each group of radio buttons (a person picks one).
    radios: dict[str, str] = field(default_factory=dict)
    button: tuple[str, str] | None = None


class PageReader(HTMLParser):
    """The links and forms of a page, as a browser would submit them untouched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self.form = Form(attrs.get("action", ""), attrs.get("method", "get").lower())
            self.forms.append(self.form)
        elif tag == "option" and self.select is not None:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        if self.form is None or tag in ("a", "form", "option") or "disabled" in attrs:
            return  # a browser sends nothing for a disabled control
        kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
        if tag in ("button", "input") and kind in ("submit", "image") and self.form.button is None:
            # Enter, or a plain tap on "save", presses the form's first submit button.
            self.form.button = (attrs.get("name", ""), attrs.get("value", ""))
        if not attrs.get("name"):
            return
        if tag in ("input", "select", "textarea"):
            self.form.names.add(attrs["name"])
        if tag == "input":
            if kind == "file":
                self.form.files.append((attrs["name"], attrs.get("accept", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.form.fields.append((attrs["name"], attrs.get("value", "on")))
                if kind == "radio":
                    self.form.radios.setdefault(attrs["name"], attrs.get("value", "on"))
            elif kind not in ("submit", "button", "image", "reset"):
                self.form.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select, self.options = (attrs["name"], "multiple" in attrs), []
        elif tag == "textarea":
            self.textarea, self.text = attrs["name"], ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            # A browser drops the one line break written right after <textarea>.
            text = next(
                (
                    self.text[len(cut) :]
                    for cut in ("\r\n", "\n", "\r")
                    if self.text.startswith(cut)
                ),
                self.text,
            )
            self.form.fields.append((self.textarea, text))
            self.textarea = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and self.options and not multiple:
                chosen = [self.options[0][0]]
            self.form.fields.extend((name, value) for value in chosen)
            self.select = None


def forms_of(html: str) -> list[Form]:
    """Every form on a page."""
    reader = PageReader()
    reader.feed(html)
    return reader.forms


def form_on(html: str, action: str, page_path: str = "") -> Form:
    """The one POST form on the page whose action's path is `action` (no action: the page's)."""
    found = [
        form
        for form in forms_of(html)
        if form.method == "post" and (urlsplit(form.action).path or page_path) == action
    ]
    assert len(found) == 1, f"{len(found)} POST forms for {action}"
    return found[0]


def form_data(form: Form, changes: dict | None = None, button=None) -> MultiDict:
    """What the browser would send: the form untouched, then `changes` (name -> value or list).

    A name the form has no field for fails the test: posting it would test a form that isn't
    on the page. A value of None removes the field (an unticked box); a (stream, filename)
    tuple is a chosen file. `button` is the
    (name, value) of the submit button pressed; by default the form's first submit button.
    """
    data = MultiDict(form.fields)
    for name, value in (changes or {}).items():
        assert name in form.names, f"the form for {form.action} has no field {name!r}"
        data.poplist(name)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            data.add(name, item if isinstance(item, tuple) else str(item))
    pressed = button or form.button
    if pressed and pressed[0]:
        data.add(*pressed)
    return data


def submit(client, page_url: str, action: str | None = None, changes=None, **kwargs):
    """GET `page_url`, then POST its form (the one for `action`, else the page's own address)."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    page_path = urlsplit(page_url).path
    form = form_on(page.get_data(as_text=True), action or page_path, page_path)
    return client.post(form.action or page_url, data=form_data(form, changes), **kwargs)
