"""LocalStack Lambda runtime executor that runs functions as local processes.

Select it with ``LAMBDA_RUNTIME_EXECUTOR=local-process`` (see ../README.md).
"""
