"""The two tables of the area as SQLAlchemy Core objects, for the writers (apply, review);
kept out of `common` so that the read path (queries) never loads SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import Table

from jjadmin.models import SpecialTrainingApplication, SpecialTrainingReview

APP_T: Table = SpecialTrainingApplication.__table__  # type: ignore[attr-defined]
REVIEW_T: Table = SpecialTrainingReview.__table__  # type: ignore[attr-defined]
