# The two stacks scripts/ deploys into LocalStack, and where each one's
# outputs live. Sourced, not run.
#   serverless-store       the demo store (scripts/up.sh): its files stay at
#                          .cache/localstack/ (stack-outputs.json, api-url,
#                          spa-url), where the README, spa/ and bench/ read them
#   serverless-store-test  what the end-to-end and browser suites write into
#                          (scripts/test.sh): .cache/localstack/stacks/<name>/
DEMO_STACK=serverless-store
TEST_STACK=serverless-store-test

# stack_dir NAME: the folder of NAME's outputs, relative to the repository root.
stack_dir() {
  if [[ $1 == "$DEMO_STACK" ]]; then
    echo .cache/localstack
  else
    echo ".cache/localstack/stacks/$1"
  fi
}
