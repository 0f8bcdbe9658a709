use journey_diagnostics::{Diagnostic, Severity};

use journey_model::{Issue, MenuKind};

use crate::limits::{self, Place};
use crate::rule::{Context, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "WA408",
    name: "header-footer-length",
    summary: "The header or footer of an interactive message is over 60 characters, or a list has a media header.",
    default_severity: Severity::Error,
    doc: r#"## What it does
Measures the text header (`header: "…"`) and the footer (`footer: "…"`, or `footer(...)`
inside a `buttons`/`list` block) of a menu against 60 characters, and reports a media
header (`image(...)`, `video(...)`, `document(...)` in the block) on a list, which
WhatsApp allows on reply buttons only. Only literal text is measured (strings with `@`
interpolations are WA420's); characters are counted as Unicode scalar values.

In a Turn notebook, a list's media header is a warning instead: Turn compiles the list
without it (its compiled flow has no trace of the media), so the notebook runs here as it
ran in Turn, and the media is never seen.

## Why is this bad?
WhatsApp rejects an interactive message whose header or footer text is over 60
characters, and a list message with an image, video or document header (error 131009):
the contact gets no menu at all.

## Example
```journey
card Menu do
  buttons(Visit: "Book a visit") do
    text("What would you like?")
    footer("Sunrise Clinic, 12 Main Road. Open Monday to Friday, 8am to 5pm.")
  end
end
```

## How to fix
Shorten the header or footer, and move the rest into the message body.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    limits::report_lengths(ctx, out, &RULE, &[Place::Header, Place::Footer]);
    for (_, menu) in limits::menus(ctx.journey) {
        if menu.kind != MenuKind::List {
            continue;
        }
        for message in menu.body.iter().filter(|m| m.kind.is_media_header()) {
            out.push(
                RULE.diagnostic(
                    ctx,
                    message.span,
                    format!(
                        "a list message cannot have a media header (`{}`)",
                        message.kind.name()
                    ),
                )
                .with_label("lists take a text header only")
                .with_help(
                    "send the media as its own message before the list, or use `header: \"…\"`",
                ),
            );
        }
    }
    // In a Turn notebook the list is sent without it, as Turn sends it: nothing fails,
    // but the media is not seen.
    for issue in &ctx.journey.issues {
        if let Issue::MediaDroppedFromList { kind, span } = issue {
            let mut diagnostic = RULE
                .diagnostic(
                    ctx,
                    *span,
                    format!(
                        "this `{}` is not sent: Turn sends a list without its media header",
                        kind.name()
                    ),
                )
                .with_label("dropped, as Turn drops it (lists take a text header only)")
                .with_help("send the media as its own message before the list");
            diagnostic.severity = Severity::Warning;
            out.push(diagnostic);
        }
    }
}
