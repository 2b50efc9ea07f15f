#!/usr/bin/env bash
# Serve the site on http://127.0.0.1:$PORT (default 8000), with a Celery worker and beat beside it
# when CELERY_BROKER_URL names a broker. Without one, tasks run in-process and
# send_due_messages sends the survey messages that come due later (delays, quiet
# hours, reminders) every 30 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

if [ -n "${CELERY_BROKER_URL:-}" ]; then
  .venv/bin/celery -A config worker --loglevel=info --concurrency=2 &
  .venv/bin/celery -A config beat --loglevel=info --schedule=var/celerybeat-schedule &
else
  .venv/bin/python manage.py send_due_messages --loop 30 &
  # Beat rebuilds the dashboards' figures when there is a broker; here a loop does.
  ( while true; do sleep 600; .venv/bin/python manage.py refresh_dashboards; done ) &
fi
.venv/bin/python manage.py refresh_dashboards
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT

.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
