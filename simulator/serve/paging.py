"""Paging as the platform does it: clamped page numbers, ``Link`` and ``X-*`` headers.

The platform's rules (collections and pagination guide): ``per_page`` below 1 means the default,
above the maximum means the maximum; a page below 1 gives the first page and a page past the last
gives the last. An empty result still has one (empty) page, so ``first`` = ``last`` = 1 and a
client that follows ``rel="next"`` stops at once. ``Link`` (RFC 8288) keeps every other query
parameter (``q``, ``sort``) and replaces only ``page``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

DEFAULT_PER_PAGE = 1000
MAX_PER_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based, after clamping
    per_page: int
    total: int
    pages: int  # at least 1

    @property
    def start(self) -> int:
        return (self.number - 1) * self.per_page

    def slice(self, items: Sequence[T]) -> Sequence[T]:
        return items[self.start : self.start + self.per_page]


def page_of(total: int, page: int | None, per_page: int | None, *,
            default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE) -> Page:
    """The page to serve for the request's ``page`` and ``per_page`` (either may be absent);
    ``default`` and ``maximum`` are the collection's (events 1000 and 1000, SIMs 2000 and
    2500)."""
    size = default if per_page is None or per_page < 1 else min(per_page, maximum)
    pages = max(1, -(-total // size))
    number = 1 if page is None else min(max(page, 1), pages)
    return Page(number=number, per_page=size, total=total, pages=pages)


def link_header(base_url: str, params: Sequence[tuple[str, str]], page: Page) -> str:
    """``<url>; rel="first", ...`` for first, prev (not on page 1), next (not on the last), last."""
    kept = [(k, v) for k, v in params if k != "page"]

    def url(number: int) -> str:
        return f"{base_url}?{urlencode([*kept, ('page', str(number))])}"

    links = [(1, "first")]
    if page.number > 1:
        links.append((page.number - 1, "prev"))
    if page.number < page.pages:
        links.append((page.number + 1, "next"))
    links.append((page.pages, "last"))
    return ", ".join(f'<{url(number)}>; rel="{rel}"' for number, rel in links)


def paging_headers(base_url: str, params: Sequence[tuple[str, str]], page: Page) -> dict[str, str]:
    return {
        "Link": link_header(base_url, params, page),
        "X-Total-Count": str(page.total),
        "X-Total-Pages": str(page.pages),
        "X-Current-Page": str(page.number),
        "X-Count-Per-Page": str(page.per_page),
    }
