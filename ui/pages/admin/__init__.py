"""The admin pages: users, departments, API tokens and the audit log (`build_admin`)."""

from ui.pages.admin.page import build_admin

__all__ = ["build_admin"]
