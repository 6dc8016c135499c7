//! Command-line flags as the `lab` subcommands read them: `--flag value` or `--flag=value`, a
//! flag's value taken from its inline `=value` or else from the next argument. `parse_flags` is
//! the one loop every subcommand reads its arguments with: each describes its flags, its operands
//! and its message for an argument it does not know in a `FlagSpec`, and gets the values by flag.

use crate::sql_format::Format;

/// The arguments of a subcommand, read one at a time.
pub struct Args<'a> {
    rest: std::slice::Iter<'a, String>,
}

/// One argument: the flag (or the whole argument, for a positional one) and its inline value.
pub struct Arg<'a> {
    pub whole: &'a str,
    pub flag: &'a str,
    inline: Option<&'a str>,
}

impl<'a> Args<'a> {
    pub fn new(args: &'a [String]) -> Args<'a> {
        Args { rest: args.iter() }
    }

    /// The next argument, with a `--flag=value` split at its `=`.
    pub fn next_arg(&mut self) -> Option<Arg<'a>> {
        let whole = self.rest.next()?.as_str();
        let (flag, inline) = match whole.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (whole, None),
        };
        Some(Arg {
            whole,
            flag,
            inline,
        })
    }

    /// The value of `arg`'s flag: its inline `=value`, else the next argument; the error says
    /// the flag needs `what`.
    pub fn value(&mut self, arg: &Arg<'a>, what: &str) -> Result<String, String> {
        arg.inline
            .or_else(|| self.rest.next().map(String::as_str))
            .map(str::to_string)
            .ok_or_else(|| format!("{} needs {what}", arg.flag))
    }

    /// Every argument not read yet (after `--`).
    pub fn remaining(&mut self) -> impl Iterator<Item = &'a String> + '_ {
        self.rest.by_ref()
    }
}

/// What a subcommand accepts, for `parse_flags`.
pub struct FlagSpec {
    /// Each flag and what its value is (the `--flag needs ...` message); `None` for a switch.
    pub flags: &'static [(&'static str, Option<&'static str>)],
    /// The arguments it takes besides flags.
    pub operands: Operands,
    /// Whether `--help` or `-h` ends the reading, the arguments after it left unchecked.
    pub help_ends_reading: bool,
    /// Whether a first argument `help` asks for help too (`lab drift help`), whatever follows.
    pub help_word: bool,
    /// The message for an argument it does not know.
    pub unknown: fn(&Arg) -> String,
}

/// The arguments a subcommand takes that are not flags (SQL text, ids, a spec file).
pub enum Operands {
    /// None: every argument must be a flag it knows.
    Refused,
    /// Any argument that does not start with `flag_prefix` (or is a lone `-`), and with
    /// `after_double_dash` every argument after a `--`.
    Taken {
        flag_prefix: &'static str,
        after_double_dash: bool,
    },
}

/// The arguments `parse_flags` read, by flag.
#[derive(Default)]
pub struct Flags {
    given: Vec<(&'static str, String)>,
    /// The operands, in the order given.
    pub operands: Vec<String>,
    /// Whether `--help` or `-h` was given.
    pub help: bool,
}

impl Flags {
    /// The value `flag` was last given.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(given, _)| *given == flag)
            .map(|(_, value)| value.as_str())
    }

    /// Every value `flag` was given, in order.
    pub fn values<'f>(&'f self, flag: &'f str) -> impl Iterator<Item = &'f str> + 'f {
        self.given
            .iter()
            .filter(move |(given, _)| *given == flag)
            .map(|(_, value)| value.as_str())
    }

    /// `flag`'s last value as `read` reads it; every value given is read, in order, so a bad one
    /// is an error even when a later one replaces it.
    pub fn parsed<T, E>(
        &self,
        flag: &str,
        read: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        let mut last = None;
        for value in self.values(flag) {
            last = Some(read(value)?);
        }
        Ok(last)
    }

    /// Whether the switch `flag` was given.
    pub fn is_set(&self, flag: &str) -> bool {
        self.value(flag).is_some()
    }
}

/// Reads `args` as `spec` describes them; the error is the usage message.
pub fn parse_flags(args: &[String], spec: &FlagSpec) -> Result<Flags, String> {
    let mut flags = Flags::default();
    if spec.help_word && args.first().is_some_and(|first| first == "help") {
        flags.help = true;
        return Ok(flags);
    }
    let mut args = Args::new(args);
    while let Some(arg) = args.next_arg() {
        if let Some(&(flag, what)) = spec.flags.iter().find(|(flag, _)| *flag == arg.flag) {
            let value = match what {
                Some(what) => args.value(&arg, what)?,
                None => String::new(),
            };
            flags.given.push((flag, value));
            continue;
        }
        if matches!(arg.flag, "--help" | "-h") {
            flags.help = true;
            if spec.help_ends_reading {
                break;
            }
            continue;
        }
        match spec.operands {
            Operands::Taken {
                after_double_dash: true,
                ..
            } if arg.flag == "--" => flags.operands.extend(args.remaining().cloned()),
            Operands::Taken { flag_prefix, .. }
                if !(arg.flag.starts_with(flag_prefix) && arg.flag.len() > 1) =>
            {
                flags.operands.push(arg.whole.to_string())
            }
            _ => return Err((spec.unknown)(&arg)),
        }
    }
    Ok(flags)
}

/// The output format a `--format` value names.
pub fn format_value(name: &str) -> Result<Format, String> {
    Format::parse(name)
        .ok_or_else(|| format!("--format must be table, csv or json, not \"{name}\""))
}

/// Arguments as `main` hands them over, for tests.
#[cfg(test)]
pub fn argv(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_inline_or_from_the_next_argument() {
        let list = argv(&["--repo=r.json", "--entities", "e.csv", "--format"]);
        let mut args = Args::new(&list);
        let repo = args.next_arg().unwrap();
        assert_eq!(
            (repo.flag, args.value(&repo, "a file").unwrap().as_str()),
            ("--repo", "r.json")
        );
        let entities = args.next_arg().unwrap();
        assert_eq!(args.value(&entities, "a file").unwrap(), "e.csv");
        let format = args.next_arg().unwrap();
        assert_eq!(
            args.value(&format, "table, csv or json").unwrap_err(),
            "--format needs table, csv or json"
        );
        assert!(format_value("yaml").unwrap_err().contains("not \"yaml\""));
    }

    const SPEC: FlagSpec = FlagSpec {
        flags: &[("--seed", Some("a seed")), ("--hex", None)],
        operands: Operands::Taken {
            flag_prefix: "--",
            after_double_dash: true,
        },
        help_ends_reading: false,
        help_word: false,
        unknown: |arg| format!("unknown argument {} (flag {})", arg.whole, arg.flag),
    };

    #[test]
    fn flags_are_read_by_name_and_operands_in_order() {
        let flags = parse_flags(
            &argv(&[
                "a", "--seed=1", "-b", "--hex", "--seed", "2", "--", "--c", "d",
            ]),
            &SPEC,
        )
        .unwrap();
        assert_eq!(flags.value("--seed"), Some("2"));
        assert_eq!(flags.values("--seed").collect::<Vec<_>>(), ["1", "2"]);
        assert!(flags.is_set("--hex") && !flags.help);
        assert_eq!(flags.operands, ["a", "-b", "--c", "d"]);
        let read = |text: &str| text.parse::<u8>().map_err(|_| format!("bad {text}"));
        assert_eq!(flags.parsed("--seed", read), Ok(Some(2)));
        let first_bad = parse_flags(&argv(&["--seed", "x", "--seed", "3"]), &SPEC).unwrap();
        assert_eq!(first_bad.parsed("--seed", read), Err("bad x".to_string()));
    }

    #[test]
    fn unknown_flags_missing_values_and_help_follow_the_spec() {
        let unknown = parse_flags(&argv(&["--bogus=1"]), &SPEC).err();
        assert_eq!(
            unknown.as_deref(),
            Some("unknown argument --bogus=1 (flag --bogus)")
        );
        let missing = parse_flags(&argv(&["--seed"]), &SPEC).err();
        assert_eq!(missing.as_deref(), Some("--seed needs a seed"));
        // Help is noted and reading goes on, unless the spec says help ends it.
        assert!(parse_flags(&argv(&["-h", "--bogus"]), &SPEC).is_err());
        let ends = FlagSpec {
            help_ends_reading: true,
            ..SPEC
        };
        assert!(parse_flags(&argv(&["-h", "--bogus"]), &ends).unwrap().help);
        // A first `help` asks for help only where the spec takes the word; else it is an operand.
        let word = FlagSpec {
            help_word: true,
            operands: Operands::Refused,
            ..SPEC
        };
        assert!(
            parse_flags(&argv(&["help", "--bogus"]), &word)
                .unwrap()
                .help
        );
        assert_eq!(
            parse_flags(&argv(&["help"]), &SPEC).unwrap().operands,
            ["help"]
        );
        // Refused operands are unknown arguments; a lone `-` is an operand where they are taken.
        assert!(parse_flags(&argv(&["file"]), &word).is_err());
        let dash = FlagSpec {
            operands: Operands::Taken {
                flag_prefix: "-",
                after_double_dash: false,
            },
            ..SPEC
        };
        assert_eq!(parse_flags(&argv(&["-"]), &dash).unwrap().operands, ["-"]);
        assert!(parse_flags(&argv(&["-x"]), &dash).is_err());
        assert!(parse_flags(&argv(&["--"]), &dash).is_err());
    }
}
