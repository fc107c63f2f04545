# syntax=docker/dockerfile:1
#
# Production image for Mandate. One image, three roles chosen by the command:
#   docker run IMAGE api | worker | migrate | keygen PATH | bootstrap
# (see docker-compose.yml for the full topology).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Unprivileged runtime user with a fixed uid/gid, so host-side files handed to the
# container (e.g. the record signing key secret) can be chowned to it.
# /data is created here, owned by that user, so a named volume mounted on it
# inherits the ownership on first use.
RUN groupadd --system --gid 10001 mandate \
    && useradd --system --uid 10001 --gid mandate --home-dir /home/mandate \
        --create-home --shell /usr/sbin/nologin mandate \
    && install -d -o mandate -g mandate -m 0750 /data

# The designation letters' PDF font (Latin and Arabic glyphs): MANDATE_LETTER_FONT's default.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Layer 1: third-party dependencies only. They are read from pyproject.toml, so
# this (slow) layer is rebuilt only when pyproject.toml changes, not on every
# source edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write(chr(10).join(deps))" \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Layer 2: the project's own packages (the ones pyproject's
# [tool.setuptools] packages.find.include lists). README.m[d] is a glob so the
# build does not fail while there is no README (pyproject.toml is listed with it
# because a COPY whose only source is an unmatched glob fails on the classic
# builder); re-copying the unchanged pyproject.toml does not bust layer 1.
COPY pyproject.toml README.m[d] ./
COPY mandate ./mandate
COPY api ./api
COPY i18n ./i18n
COPY workflows ./workflows
COPY activities ./activities
COPY policies ./policies
COPY records ./records
COPY store ./store
COPY web ./web
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

USER mandate:mandate
WORKDIR /home/mandate

EXPOSE 8000

ENTRYPOINT ["mandate"]
CMD ["api"]
