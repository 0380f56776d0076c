"""Static HTML for a data profile: one row per column with its summary."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_jupyter.tracking.profile import Profile


def profile_html(profile: Profile) -> str:
    frame = profile.to_frame()
    head = (
        f'<div class="mlops-profile"><b>Profile</b> · {profile.rows} rows × {len(profile.columns)} '
        f"columns · quantiles within ±{profile.rank_error():.2%} rank"
    )
    if profile.source:
        head += f" · {escape(profile.source)}"
    table = frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)
    return head + table + "</div>"
