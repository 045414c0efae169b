"""Background work: the jobs (tasks.py), the schedule that starts them (schedule.py), and the
Redis queue they travel on when REDIS_URL is set (queue.py, on connection.py's client)."""
