//! Command-line flags as the `lab` subcommands read them: `--flag value` or `--flag=value`, a
//! flag's value taken from its inline `=value` or else from the next argument.

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

/// The output format a `--format` value names.
pub fn format_value(name: &str) -> Result<Format, String> {
    Format::parse(name)
        .ok_or_else(|| format!("--format must be table, csv or json, not \"{name}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_inline_or_from_the_next_argument() {
        let argv: Vec<String> = ["--repo=r.json", "--entities", "e.csv", "--format"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut args = Args::new(&argv);
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
}
