//! `journey rule CODE`: a rule's documentation; `journey rule` alone: the code table.

use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    /// A rule code (`J101`) or name (`unknown-card`); omit to list every rule.
    code: Option<String>,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    match args.code {
        None => io.print(&journey_check::docs::index())?,
        Some(code) => match journey_check::rule(&code) {
            Some(rule) => io.print(&journey_check::docs::page(rule))?,
            None if let Some((covered, rule)) = journey_check::registry::covering(&code) => {
                io.print(&format!(
                    "{} `{}` is checked by {}: {}.\n\n",
                    covered.code, covered.name, covered.by, covered.how
                ))?;
                io.print(&journey_check::docs::page(rule))?;
            }
            None => {
                let known = journey_check::RULES.iter().flat_map(|r| [r.code, r.name]);
                let hint = journey_model::suggest(&code, known)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "no rule `{code}`{hint}; `journey rule` lists them all"
                ));
            }
        },
    }
    Ok(0)
}
