"""Server-rendered pages for people: public pages, sign-in and campaign signing."""
