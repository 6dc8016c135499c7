//! What the `lab` command's end-to-end tests share: running the built binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `lab ARGS` with `stdin` on standard input and returns what it printed and its exit code.
pub fn run_lab(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
