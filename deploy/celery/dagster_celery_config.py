"""Settings of the Celery app that runs the pipeline's steps (`celery -A dagster_celery.app worker`, with this folder
on PYTHONPATH: dagster-celery imports the module by this name). The broker and result backend come from the
environment, as for the executor in `multimodal_pipeline/defs/jobs.py`."""

import os

broker_url = os.environ.get("MMP_CELERY_BROKER", "redis://127.0.0.1:6379/0")
result_backend = os.environ.get("MMP_CELERY_BACKEND", broker_url)
# one step at a time per worker process: a worker does not reserve a second step while the first runs
worker_prefetch_multiplier = 1
# a step is acknowledged when it ends, so a worker that dies mid-step gives it back to the queue for another worker
task_acks_late = True
task_reject_on_worker_lost = True
