# The shop's production image: dependencies built in one stage, a slim runtime without compilers,
# run as an unprivileged user. Migrations are a separate one-shot command:
#   docker run --rm --env-file .env bookshop python -m bookshop migrate
# Web: the default command. Worker: python -m bookshop worker.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
# Runtime dependencies only (no dev, test or browser packages), into a virtualenv copied below.
RUN python -m venv /venv \
    && /venv/bin/pip install -c constraints.txt . \
    && /venv/bin/pip uninstall -y bookshop

FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/src \
    BOOKSHOP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    INSTANCE_PATH=/app/instance
RUN groupadd --system --gid 10001 bookshop \
    && useradd --system --uid 10001 --gid bookshop --home-dir /app bookshop
WORKDIR /app
COPY --from=build /venv /venv
# The source tree, not a wheel: alembic.ini and migrations/ ship beside the package.
COPY alembic.ini ./
COPY migrations ./migrations
COPY src/bookshop ./src/bookshop
RUN mkdir -p /app/instance && chown 10001:10001 /app/instance
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bookshop", "healthcheck"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bookshop", "serve"]

# Test mode without a Stripe account (compose profile "emulator"); never used in production.
FROM runtime AS emulator
COPY src/stripe_emulator ./src/stripe_emulator
EXPOSE 12111
HEALTHCHECK NONE
CMD ["python", "-m", "stripe_emulator", "--host", "0.0.0.0", "--port", "12111", "--db", "/app/instance/emulator.db"]
