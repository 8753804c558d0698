# Source this file (". localstack/env.sh") to point AWS clients at the local LocalStack.
# Puts .cache/localstack/bin (only `aws`, awscli v1 from the LocalStack venv) first on PATH.
_ls_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
_ls_env_root="$(cd "$_ls_env_dir/.." && pwd)"
export AWS_ENDPOINT_URL="http://127.0.0.1:${LS_PORT:-4566}"
export AWS_ENDPOINT_URL_S3="$AWS_ENDPOINT_URL"   # awscli v1 ignores --endpoint-url for `cloudformation package` uploads
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_PAGER=""
case ":$PATH:" in
  *":$_ls_env_root/.cache/localstack/bin:"*) ;;
  *) export PATH="$_ls_env_root/.cache/localstack/bin:$PATH" ;;
esac
unset _ls_env_dir _ls_env_root
