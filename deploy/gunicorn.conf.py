"""The recommended gunicorn settings for tripposter: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Measured with ``benchmarks/load.py`` (see README): 20 concurrent 12 MP uploads on a 2-core host.
Put TLS in front (nginx, Caddy or the host's load balancer) and set ``TRIPPOSTER_*`` as the README says.
"""

import os

# Loopback by default: the TLS proxy in front is the only thing that should reach this port.
bind = os.environ.get("TRIPPOSTER_BIND", "127.0.0.1:8000")

# Two processes for two cores. Each holds its own face model (onnxruntime, ~0.5 GB RSS), so memory,
# not CPU, is what limits adding more; gunicorn's WEB_CONCURRENCY overrides the count.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# Threads, not sync workers: a sync worker reads the whole upload itself and cannot answer the
# master's heartbeat meanwhile, so one phone sending a 4 MB photo on a poor signal (over 30 s)
# gets the worker killed mid-upload, and two such phones stall every other teacher. A gthread
# worker keeps its heartbeat in the main thread and gives each slow phone one of its threads.
worker_class = "gthread"
threads = 4

# With gthread this is only how long a worker may stay unresponsive, not a cap on a request,
# so a slow upload still finishes; 60 s leaves room for the face model's first load.
timeout = 60
graceful_timeout = 30
keepalive = 5

# Decoding 12 MP images fragments the heap; recycling a worker now and then returns it to the system.
max_requests = 1000
max_requests_jitter = 100

# The heartbeat file in memory, not on a disk that may stall under photo writes (and /tmp may be noexec).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Only the proxy on this machine may say what the client's address and scheme were.
forwarded_allow_ips = "127.0.0.1"


def post_worker_init(worker: object) -> None:
    """Load the face model before the worker takes requests, so no teacher's upload pays for it."""
    from PIL import Image

    from tripposter.pipeline.faces import default_detector

    default_detector().detect(Image.new("RGB", (64, 64)))
