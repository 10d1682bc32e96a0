"""The frame of the server-rendered pages (sign-in, setup, home, 403, 404): the product name, a phone viewport and
the look of the Gradio pages (their font, borders, orange primary button), in one place.

They are plain HTML: they must work before any script runs, and they need nothing Gradio offers.
"""

from __future__ import annotations

import html

PRODUCT = "deptbot"
TAGLINE = "부서 도우미"

# Colours and sizes of Gradio's default theme (ui/app.py), so these pages and the Gradio ones look alike.
STYLE = """
*, *::before, *::after {box-sizing: border-box;}
html {-webkit-text-size-adjust: 100%;}
body {font-family: 'Noto Sans KR', 'Malgun Gothic', sans-serif; color: #1f2937; background: #fff; margin: 0;
      line-height: 1.55; overflow-wrap: anywhere;}
.brand {border-bottom: 1px solid #e5e7eb; padding: .6rem 0;}
.brand-inner {max-width: 640px; margin: 0 auto; padding: 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem .75rem;
              align-items: baseline; justify-content: space-between;}
.brand a.product {font-weight: 700; font-size: 1.1rem; color: #1f2937; text-decoration: none;}
.brand .tagline {color: #6b7280; font-size: .9rem; margin-left: .35rem; font-weight: 400;}
.brand nav {display: flex; flex-wrap: wrap; gap: .25rem .75rem; font-size: .95rem;}
main {max-width: 640px; margin: 1.5rem auto; padding: 0 1rem;}
h1 {font-size: 1.5rem; margin: 0 0 1rem;}
a {color: #2563eb;}
label {display: block; font-size: .9rem; color: #4b5563;}
input {font: inherit; font-size: 1rem; padding: .55rem .7rem; width: 100%; margin: .25rem 0 .9rem;
       border: 1px solid #d1d5db; border-radius: 6px; background: #fff; color: inherit;}
input:focus {outline: 2px solid #fdba74; border-color: #f97316;}
button, .button {font: inherit; font-size: 1rem; font-weight: 600; padding: .6rem 1.2rem; border-radius: 8px;
       border: 1px solid #e5e7eb; background: #f3f4f6; color: #1f2937; cursor: pointer; text-decoration: none;
       display: inline-block;}
button[type=submit], .button.primary {background: #f97316; border-color: #f97316; color: #fff;}
form {border: 1px solid #e5e7eb; border-radius: 8px; padding: 1rem;}
form.inline {border: 0; padding: 0;}
.rules {color: #4b5563; font-size: .9rem; margin: -.5rem 0 .9rem; padding-left: 1.2rem;}
.bot {display: block; border: 1px solid #e5e7eb; border-radius: 8px; padding: .75rem; margin: .5rem 0;
      color: inherit; text-decoration: none;}
.bot:hover {border-color: #f97316;}
.error {color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: .5rem .75rem;}
.muted {color: #6b7280;}
.actions {display: flex; flex-wrap: wrap; gap: .75rem; align-items: center;}
"""


def page_html(title: str, body: str, *, nav: str = "") -> str:
    """A whole page: the product's name (a link home) with `nav` beside it, then `body`; `title` is escaped."""
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} · {PRODUCT}</title><style>{STYLE}</style></head><body>"
            f'<header class="brand"><div class="brand-inner"><a class="product" href="/">{PRODUCT}'
            f'<span class="tagline">{TAGLINE}</span></a>'
            f'<nav aria-label="메뉴">{nav}</nav></div></header>'
            f"<main>{body}</main></body></html>")
