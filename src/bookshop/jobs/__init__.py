"""Background work: the jobs (tasks.py), the schedule that starts them (schedule.py), and the
Redis queue they travel on when REDIS_URL is set (queue.py)."""

from .schedule import SCHEDULE, start_in_process
from .tasks import JOBS, run

__all__ = ["JOBS", "SCHEDULE", "run", "start_in_process"]
