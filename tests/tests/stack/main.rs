//! Everything that needs the deployed stack, in one test binary: the tests
//! are ignored by the offline unit run, and `scripts/test.sh` runs them all
//! at once (`--ignored`, `E2E_THREADS` at a time) against the tests' stack.
//! One binary also links once, not once per file.

mod accounts;
mod dead_letters;
mod function_logs;
mod privacy;
mod scenarios;
mod stores;
mod stream;
