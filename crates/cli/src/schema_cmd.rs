//! `lab schema`: Avro schemas as a Schema Registry sees them.
//!
//! - `lab schema check --mode MODE NEW.avsc [OLD.avsc...]`: may NEW be registered after the OLD
//!   versions (oldest first) under MODE (backward, forward, full, or one of them with
//!   `_transitive`; backward when not given)? Prints only `{"compatible": bool, "messages": [...]}`
//!   and exits 0 either way.
//! - `lab schema encode SCHEMA.avsc`: each line of standard input is a value in Avro's JSON
//!   encoding; prints its Avro binary as lowercase hex, one line each.
//! - `lab schema decode SCHEMA.avsc`: the reverse, hex in, Avro JSON out.
//!
//! A usage error exits 2; a schema that does not parse, or a value or line that does not encode or
//! decode, exits 1 with the file or line and why (the lines before it are printed first).

use avro::registry::{check_new_version, Mode};
use avro::schema::{parse_schema, ParsedSchema};
use std::io::BufRead;

/// What went wrong, and so the exit code.
pub enum Failure {
    /// Exit 2.
    Usage(String),
    /// Exit 1, after printing `output`.
    Invalid { output: String, message: String },
}

const MODES: &str =
    "backward, forward, full, backward_transitive, forward_transitive or full_transitive";

pub fn run(args: &[String], input: &mut dyn BufRead) -> Result<String, Failure> {
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("encode") => convert(&args[1..], input, encode_line),
        Some("decode") => convert(&args[1..], input, decode_line),
        Some(other) => Err(Failure::Usage(format!(
            "unknown schema command \"{other}\" (try check, encode or decode)"
        ))),
        None => Err(Failure::Usage(
            "lab schema needs a command: check, encode or decode".into(),
        )),
    }
}

fn invalid(message: String) -> Failure {
    Failure::Invalid {
        output: String::new(),
        message,
    }
}

fn read_schema(path: &str) -> Result<ParsedSchema, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(format!("{path}: cannot read it ({e})")))?;
    parse_schema(&text).map_err(|e| invalid(format!("{path}: {e}")))
}

fn check(args: &[String]) -> Result<String, Failure> {
    let mut mode = Mode::Backward;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--mode" => {
                let value = args
                    .get(i + 1)
                    .ok_or_else(|| Failure::Usage(format!("--mode needs a value: {MODES}")))?;
                mode = Mode::parse(value).ok_or_else(|| {
                    Failure::Usage(format!("unknown mode \"{value}\": use {MODES}"))
                })?;
                i += 2;
            }
            flag if flag.starts_with("--") => {
                return Err(Failure::Usage(format!("unknown option {flag}")))
            }
            file => {
                files.push(file.to_string());
                i += 1;
            }
        }
    }
    let Some((new, old)) = files.split_first() else {
        return Err(Failure::Usage(
            "usage: lab schema check --mode MODE NEW.avsc [OLD.avsc...]".into(),
        ));
    };
    let new = read_schema(new)?;
    let versions = old
        .iter()
        .map(|path| read_schema(path))
        .collect::<Result<Vec<_>, _>>()?;
    let failure = check_new_version(mode, &new, &versions);
    let messages: Vec<String> = failure
        .iter()
        .flat_map(|f| {
            f.incompatibilities
                .iter()
                .map(move |i| format!("{mode}: version {} ({}): {i}", f.version, f.direction))
        })
        .collect();
    let verdict = serde_json::json!({"compatible": failure.is_none(), "messages": messages});
    Ok(format!("{verdict}\n"))
}

fn encode_line(schema: &ParsedSchema, line: &str) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let bytes = avro::binary::encode(schema, &value).map_err(|e| e.to_string())?;
    Ok(avro::binary::hex(&bytes, ""))
}

fn decode_line(schema: &ParsedSchema, line: &str) -> Result<String, String> {
    let hex: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    if !hex.len().is_multiple_of(2) {
        return Err("hex needs two digits per byte".into());
    }
    let bytes = hex
        .chunks(2)
        .map(|pair| {
            let text: String = pair.iter().collect();
            u8::from_str_radix(&text, 16).map_err(|_| format!("\"{text}\" is not a hex byte"))
        })
        .collect::<Result<Vec<u8>, String>>()?;
    let value = avro::binary::decode(schema, &bytes).map_err(|e| e.to_string())?;
    Ok(value.to_string())
}

fn convert(
    args: &[String],
    input: &mut dyn BufRead,
    each: fn(&ParsedSchema, &str) -> Result<String, String>,
) -> Result<String, Failure> {
    let [path] = args else {
        return Err(Failure::Usage(
            "usage: lab schema encode|decode SCHEMA.avsc (values on standard input, one a line)"
                .into(),
        ));
    };
    let schema = read_schema(path)?;
    let mut output = String::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| invalid(format!("standard input: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        match each(&schema, line.trim()) {
            Ok(text) => {
                output.push_str(&text);
                output.push('\n');
            }
            Err(message) => {
                return Err(Failure::Invalid {
                    output,
                    message: format!("line {}: {message}", n + 1),
                })
            }
        }
    }
    Ok(output)
}
