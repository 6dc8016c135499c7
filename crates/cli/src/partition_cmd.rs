//! `lab partition`: the "which partition?" calculator.

use lab::broker::partitioner::{murmur2, partition_for_key};

/// Decodes a hex key such as `3231` (or `0x3231`).
fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if !digits.len().is_multiple_of(2) {
        return Err(format!("\"{text}\" has an odd number of hex digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("\"{text}\" is not hex (use 0-9 and a-f)"))
        })
        .collect()
}

/// Runs the command; returns its standard output.
pub fn run(args: &[String]) -> Result<String, String> {
    let mut partitions = None;
    let (mut hex, mut json, mut keys) = (false, false, Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--partitions" => {
                let value = rest.next().ok_or("--partitions needs a number")?;
                let n: u32 = value.parse().map_err(|_| {
                    format!(
                        "--partitions must be a whole number from 1 to {}, not \"{value}\"",
                        i32::MAX
                    )
                })?;
                if n == 0 || n > i32::MAX as u32 {
                    return Err(format!(
                        "--partitions must be from 1 to {}, not {n}",
                        i32::MAX
                    ));
                }
                partitions = Some(n);
            }
            "--hex" => hex = true,
            "--json" => json = true,
            "--" => keys.extend(rest.by_ref().cloned()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            key => keys.push(key.to_string()),
        }
    }
    let partitions = partitions.ok_or("--partitions N is required")?;
    if keys.is_empty() {
        return Err("give at least one KEY".into());
    }
    let mut out = String::new();
    for key in keys {
        let bytes = if hex {
            decode_hex(&key)?
        } else {
            key.clone().into_bytes()
        };
        let hash = murmur2(&bytes);
        let partition = partition_for_key(&bytes, partitions)
            .ok_or("no partitions")?
            .0;
        if json {
            let line = serde_json::json!({"key": key, "hash": hash, "partition": partition});
            out.push_str(&format!("{line}\n"));
        } else {
            out.push_str(&format!("{key}\thash={hash}\tpartition={partition}\n"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    #[test]
    fn prints_hash_and_partition() {
        let out = run(&args(&["--partitions", "1000", "21"])).unwrap();
        assert_eq!(out, "21\thash=-973932308\tpartition=340\n");
        let out = run(&args(&["--partitions", "1000", "--hex", "--json", "3231"])).unwrap();
        assert_eq!(
            out,
            "{\"hash\":-973932308,\"key\":\"3231\",\"partition\":340}\n"
        );
    }

    #[test]
    fn refuses_bad_input() {
        assert!(run(&args(&["--partitions", "0", "k"]))
            .unwrap_err()
            .contains("from 1"));
        assert!(run(&args(&["--partitions", "-3", "k"]))
            .unwrap_err()
            .contains("whole number"));
        assert!(run(&args(&["k"])).unwrap_err().contains("required"));
        assert!(run(&args(&["--partitions", "3"]))
            .unwrap_err()
            .contains("at least one KEY"));
        assert!(run(&args(&["--partitions", "3", "--hex", "zz"]))
            .unwrap_err()
            .contains("not hex"));
        assert!(run(&args(&["--partitions", "3", "--hex", "abc"]))
            .unwrap_err()
            .contains("odd"));
        assert!(run(&args(&["--partitions", "3", "--bogus"]))
            .unwrap_err()
            .contains("unknown option"));
    }
}
