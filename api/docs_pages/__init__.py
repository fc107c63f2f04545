"""The API reference as a few server-rendered pages, built from the app's own OpenAPI document.

An index (introduction, errors, tokens, shared headers and the contents), one page per tag with
its operations, and one of schemas, all under one cached stylesheet: no JavaScript, no inline
style, no external URL, so they work offline, by keyboard and at 360 px. Splitting by tag keeps
each page small as the API grows. ``document`` reads the OpenAPI document, ``links`` says where
each part lives, ``parts`` writes the parts, ``pages`` puts them together, ``style`` holds the
stylesheet and ``text`` the small escaped pieces.
"""
