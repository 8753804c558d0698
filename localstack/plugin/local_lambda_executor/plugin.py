from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """Registered under ``localstack.lambda.runtime_executor`` as ``local-process``."""

    name = "local-process"

    def load(self, *args, **kwargs):
        from local_lambda_executor.executor import LocalProcessRuntimeExecutor, install_patches

        install_patches()
        return LocalProcessRuntimeExecutor
