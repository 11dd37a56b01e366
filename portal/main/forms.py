"""The language switcher."""

from __future__ import annotations

from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from ..formutils import PortalForm
from ..i18n import lazy_gettext as _l


class LanguageForm(PortalForm):
    locale = SelectField(_l("Language"), validators=[DataRequired()])
    next = HiddenField()
