//! Feeds arbitrary UTF-8 to the parser, as a journey and as a notebook. It must not
//! panic, every diagnostic must point within the input on character boundaries, and
//! whatever it reads without complaint must print as text that it reads back the same.

#![no_main]

use journey_diagnostics::{FileId, Span};
use journey_syntax::{Parsed, parse_journey, parse_notebook, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [
        parse_journey(FileId(0), text),
        parse_notebook(FileId(0), text),
    ] {
        check_spans(text, &parsed);
        check_reprints(&parsed);
    }
});

fn check_spans(text: &str, parsed: &Parsed) {
    let spans = parsed.diagnostics.iter().flat_map(|diagnostic| {
        let secondary = diagnostic.secondary.iter().map(|label| label.span);
        std::iter::once(diagnostic.span()).chain(secondary)
    });
    for span in spans {
        let Span { start, end } = span;
        let (start, end) = (start as usize, end as usize);
        assert!(
            start <= end
                && end <= text.len()
                && text.is_char_boundary(start)
                && text.is_char_boundary(end),
            "span {span:?} is not within the {} bytes of the input",
            text.len()
        );
    }
}

/// Printing a clean parse and parsing the result must be stable: the second print
/// equals the first (the trees differ only in spans).
fn check_reprints(parsed: &Parsed) {
    if !parsed.diagnostics.is_empty() {
        return;
    }
    let printed = print::module(&parsed.module);
    let reparsed = parse_journey(FileId(0), &printed);
    assert!(
        reparsed.diagnostics.is_empty(),
        "the printed text does not parse:\n{printed}\n{:#?}",
        reparsed.diagnostics
    );
    assert_eq!(print::module(&reparsed.module), printed);
}
