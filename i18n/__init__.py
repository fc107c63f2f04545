"""Languages for everything Mandate says outside its pages: the API's error details and the
mail it sends (the pages, web/, have their own catalog and use the same negotiation).

``languages`` picks a reader's language; ``catalogs`` holds the translations, compiled once
per process from ``locale/<lang>/LC_MESSAGES/mandate.po`` into a ``Catalogs`` the caller keeps
and passes on; ``refusals`` says a DomainError in a language. This package imports only
``policies``, so that ``store``, ``activities``, ``api`` and ``web`` can all use it.
"""
