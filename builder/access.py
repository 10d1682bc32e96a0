"""Who may use and who may manage a bot: the one place the access rules live (pages, API and CLI ask it).

- manage (edit, preview, publish, see documents): administrators, and leads of every department of the bot;
- use (ask): whoever may manage it, even unpublished (the builder's preview); otherwise only a published bot, by
  its visibility: `link` - anyone holding the current share-link key, and signed-in members of its departments;
  `staff` - any signed-in user; `department` - signed-in members of one of its departments.

Pages, API and `/files/` ask about the bot as its users get it (`Registry.served`: a published bot's published
version), so a lead's saved draft reaches no one before it is published; the builder asks about the draft.
"""

from __future__ import annotations

import secrets

from builder.registry import BotRecord, User


def can_build(user: User | None) -> bool:
    """Whether the user may open the builder (leads and administrators; which bots is `can_manage`'s to say)."""
    return user is not None and user.active and user.role in ("admin", "lead")


def can_manage(bot: BotRecord, user: User | None) -> bool:
    """Whether the user may edit, preview, publish and delete the bot."""
    return user is not None and user.active and user.leads(bot.definition.departments)


def can_use(bot: BotRecord, user: User | None, key: str | None = None) -> bool:
    """Whether the user (None: anonymous) holding `key` (from the share link, if any) may ask the bot."""
    if can_manage(bot, user):
        return True
    if not bot.published:
        return False
    member = user is not None and user.active and bool(set(user.departments) & set(bot.definition.departments))
    visibility = bot.definition.visibility
    if visibility == "link":
        return member or (key is not None and secrets.compare_digest(key.encode(), bot.link_key.encode()))
    if visibility == "staff":
        return user is not None and user.active
    return member
