"""The reference's one stylesheet, shared by its pages and cached under a hashed URL."""

from __future__ import annotations

import hashlib

STYLE = """\
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--mut:#545454;--line:#c8c8c8;\
--box:#f2f2f2;--link:#0645ad;--get:#0b6b2e;--post:#0a4fa3;--put:#7a4b00;--patch:#6a3d99;\
--delete:#a4161a}
@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#141414;--mut:#b4b4b4;\
--line:#4a4a4a;--box:#222;--link:#8ab4f8;--get:#6fdc8c;--post:#8ab4f8;--put:#f5c26b;\
--patch:#d2a8ff;--delete:#ff9a9a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:60rem;padding:0 1rem 3rem;font:1rem/1.5 system-ui,sans-serif;\
color:var(--fg);background:var(--bg);overflow-wrap:break-word}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
code{overflow-wrap:anywhere}
pre{background:var(--box);padding:.75rem;white-space:pre-wrap;overflow-wrap:anywhere}
h1,h2,h3{line-height:1.25}
h2{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);font-size:1.2rem}
h3{margin:1rem 0 .25rem;font-size:1rem}
dl{margin:0}
dt{margin-top:.5rem;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}
dt small{font-family:system-ui,sans-serif}
dd{margin-inline-start:1.25rem}
small{color:var(--mut);font-size:.9em}
ol ol{padding-inline-start:1.25rem}
.pages{padding:0;list-style:none}
.pages li{display:inline-block;margin-inline-end:1rem}
[aria-current]{font-weight:700}
table{border-collapse:collapse}
caption{text-align:start;font-weight:700}
th,td{border:1px solid var(--line);padding:.2rem .5rem;text-align:start}
h2 b{font-family:ui-monospace,Menlo,Consolas,monospace}
.get{color:var(--get)}.post{color:var(--post)}.put{color:var(--put)}
.patch{color:var(--patch)}.delete{color:var(--delete)}
.skip{position:absolute;inset-inline-start:-100vw}
.skip:focus{inset-inline-start:1rem;top:1rem;background:var(--bg);padding:.5rem}
"""
STYLE_VERSION = hashlib.sha256(STYLE.encode()).hexdigest()[:12]
