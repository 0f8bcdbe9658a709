//! Text surgery: splices on one file's text, comma-separated sequences (call arguments,
//! lists), whole-line blocks (cards, statements) and string literals.

use journey_diagnostics::Span;

/// Replace `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Splice {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Splice {
    pub fn new(start: usize, end: usize, text: impl Into<String>) -> Splice {
        Splice {
            start,
            end,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Splice {
        Splice::new(at, at, text)
    }

    pub fn replace(span: Span, text: impl Into<String>) -> Splice {
        Splice::new(span.start as usize, span.end as usize, text)
    }

    /// The same change without the bytes it leaves as they were (a common prefix and
    /// suffix of the old and new text), so a diff shows only what changed.
    pub fn trimmed(self, text: &str) -> Splice {
        let old = &text[self.start..self.end];
        let new = self.text.as_str();
        let (prefix, old_end) = journey_syntax::changed_range(old, new);
        let suffix = old.len() - old_end;
        Splice::new(
            self.start + prefix,
            self.end - suffix,
            &new[prefix..new.len() - suffix],
        )
    }
}

/// Inserted text in the file's line endings: `\r\n` when its first line ends so.
pub(super) fn line_endings(text: &str, inserted: String) -> String {
    let crlf = text.find('\n').is_some_and(|n| text[..n].ends_with('\r'));
    if !crlf || !inserted.contains('\n') {
        return inserted;
    }
    let mut out = String::with_capacity(inserted.len() + 8);
    let mut previous = None;
    for c in inserted.chars() {
        if c == '\n' && previous != Some('\r') {
            out.push('\r');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// Applies sorted, non-overlapping splices.
pub(super) fn apply(text: &str, splices: &[Splice]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for splice in splices {
        out.push_str(&text[at..splice.start]);
        out.push_str(&splice.text);
        at = splice.end;
    }
    out.push_str(&text[at..]);
    out
}

pub(super) fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |n| n + 1)
}

/// Just after the line break ending the line of `pos` (the file's end on its last line).
pub(super) fn next_line(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |n| pos + n + 1)
}

/// The blanks that begin the line of `pos`.
pub(super) fn indentation(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Whether only blanks come before `pos` on its line.
pub(super) fn starts_line(text: &str, pos: usize) -> bool {
    text[line_start(text, pos)..pos]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Whether the rest of the line after `pos` is blank or a comment.
pub(super) fn ends_line(text: &str, pos: usize) -> bool {
    let rest = text[pos..next_line(text, pos)].trim();
    rest.is_empty() || rest.starts_with('#')
}

fn is_blank_line(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Past blanks, line breaks and `#` comments.
pub(super) fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => pos += 1,
            b'#' => pos = next_line(text, pos),
            _ => break,
        }
    }
    pos
}

/// Back over blanks and line breaks before `pos` (not comments).
fn whitespace_before(text: &str, pos: usize) -> usize {
    pos - (text[..pos].len() - text[..pos].trim_end().len())
}

fn has_comment(text: &str) -> bool {
    text.contains('#')
}

/// Comma-separated items between brackets: a call's arguments, a list's items.
pub(super) struct Seq {
    /// Just after the opening bracket.
    pub open: usize,
    /// At the closing bracket.
    pub close: usize,
    pub items: Vec<Span>,
}

impl Seq {
    /// `open` is just after the bracket; the items are in order.
    pub fn new(text: &str, open: usize, items: Vec<Span>) -> Option<Seq> {
        let mut pos = items.last().map_or(open, |s| s.end as usize);
        loop {
            pos = skip_trivia(text, pos);
            match text.as_bytes().get(pos) {
                Some(b',') => pos += 1,
                Some(b')' | b']') => {
                    return Some(Seq {
                        open,
                        close: pos,
                        items,
                    });
                }
                _ => return None,
            }
        }
    }

    /// The comma right after item `index`, if any.
    fn comma_after(&self, text: &str, index: usize) -> Option<usize> {
        let pos = skip_trivia(text, self.items[index].end as usize);
        (text.as_bytes().get(pos) == Some(&b',')).then_some(pos)
    }

    /// The blanks and line breaks an item is written after: what separates items here.
    fn separator(&self, text: &str, index: usize) -> String {
        let start = self.items[index].start as usize;
        text[whitespace_before(text, start)..start].to_owned()
    }

    /// Inserts `item` (its source) so that it becomes item `index`, separated as the
    /// neighbouring items are.
    pub fn insert(&self, text: &str, index: usize, item: &str) -> Splice {
        let n = self.items.len();
        if n == 0 {
            return Splice::insert(self.open, item);
        }
        if index < n {
            let sep = if index > 0 {
                self.separator(text, index)
            } else if n > 1 {
                self.separator(text, 1)
            } else {
                match self.separator(text, 0) {
                    sep if sep.contains('\n') => sep,
                    _ => " ".to_owned(),
                }
            };
            return Splice::insert(self.items[index].start as usize, format!("{item},{sep}"));
        }
        let sep = match self.separator(text, n - 1) {
            sep if n > 1 || sep.contains('\n') => sep,
            _ => " ".to_owned(),
        };
        match self.comma_after(text, n - 1) {
            Some(comma) => Splice::insert(comma + 1, format!("{sep}{item},")),
            None => Splice::insert(self.items[n - 1].end as usize, format!(",{sep}{item}")),
        }
    }

    /// Removes item `index` and one comma, leaving the comments around it.
    pub fn remove(&self, text: &str, index: usize) -> Splice {
        let n = self.items.len();
        let item = self.items[index];
        let (start, end) = (item.start as usize, item.end as usize);
        if n == 1 && !has_comment(&text[self.open..self.close]) {
            return Splice::new(self.open, self.close, "");
        }
        if index + 1 < n || n == 1 {
            return match self.comma_after(text, index) {
                Some(comma) => {
                    let after = comma + 1;
                    let next = after + (text[after..].len() - text[after..].trim_start().len());
                    Splice::new(start, next, "")
                }
                None => Splice::new(start, end, ""),
            };
        }
        match self.comma_after(text, index) {
            Some(comma) => Splice::new(whitespace_before(text, start), comma + 1, ""),
            None => match self.comma_after(text, index - 1) {
                Some(comma) if !has_comment(&text[comma..start]) => Splice::new(comma, end, ""),
                _ => Splice::new(start, end, ""),
            },
        }
    }
}

/// The lines of a block (a card, a definition): from the start of its first line,
/// with the comment lines right above it (not above `floor`), to the end of its last
/// line. `None` when something else shares its first or last line.
pub(super) fn block_extent(text: &str, span: Span, floor: usize) -> Option<(usize, usize)> {
    let (start, end) = (span.start as usize, span.end as usize);
    if !starts_line(text, start) || !ends_line(text, end) {
        return None;
    }
    let mut first = line_start(text, start);
    while first > floor {
        let above = line_start(text, first - 1);
        if above < floor || !is_comment_line(&text[above..first]) {
            break;
        }
        first = above;
    }
    Some((first, next_line(text, end)))
}

/// Removes whole-line blocks and the blank line that set each apart (after it, else
/// before it), so that removing what `insert_after`/`insert_before` added gives back the
/// text before. Blocks separated only by blank lines are removed as one.
pub(super) fn remove_blocks(text: &str, mut blocks: Vec<(usize, usize)>) -> Vec<Splice> {
    blocks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in blocks {
        match merged.last_mut() {
            Some(last) if text.get(last.1..start).is_some_and(|t| t.trim().is_empty()) => {
                last.1 = last.1.max(end)
            }
            _ => merged.push((start, end)),
        }
    }
    merged
        .into_iter()
        .map(|(start, end)| {
            let after = next_line(text, end);
            if end < text.len() && is_blank_line(&text[end..after]) {
                return Splice::new(start, after, "");
            }
            if start > 0 {
                let above = line_start(text, start - 1);
                if is_blank_line(&text[above..start]) {
                    // The last line had no line break: take the one before the blank.
                    let from = if end == text.len() && !text.ends_with('\n') {
                        let before = &text[..above];
                        above - before.len() + before.trim_end_matches(['\r', '\n']).len()
                    } else {
                        above
                    };
                    return Splice::new(from, end, "");
                }
            }
            Splice::new(start, end, "")
        })
        .collect()
}

/// Inserts a block (whole lines, ending in a line break) after the line holding `end`,
/// set apart by a blank line.
pub(super) fn insert_after(text: &str, end: usize, block: &str) -> Splice {
    let at = next_line(text, end);
    if at == text.len() && !text.ends_with('\n') {
        return Splice::insert(at, format!("\n\n{}", block.trim_end_matches('\n')));
    }
    Splice::insert(at, format!("\n{block}"))
}

/// Inserts a block before the line starting at `start`, set apart by a blank line.
pub(super) fn insert_before(start: usize, block: &str) -> Splice {
    Splice::insert(start, format!("{block}\n"))
}

/// Re-indents printed code (two spaces a level, as the printer writes it) to `base`
/// plus `unit` a level. Lines marked `verbatim` (inside a multi-line string) are text,
/// not layout: they stay as they are.
pub(super) fn reindent(printed: &str, base: &str, unit: &str, verbatim: &[bool]) -> String {
    let mut out = String::with_capacity(printed.len());
    for (n, line) in printed.lines().enumerate() {
        if verbatim.get(n).copied().unwrap_or(false) {
            out.push_str(line);
        } else if !line.is_empty() {
            let rest = line.trim_start_matches(' ');
            let levels = (line.len() - rest.len()) / 2;
            out.push_str(base);
            for _ in 0..levels {
                out.push_str(unit);
            }
            out.push_str(&line[levels * 2..]);
        }
        out.push('\n');
    }
    out
}

/// A string literal of plain text: quotes, backslashes, tabs and line breaks escaped;
/// `@` kept as written (it personalises).
pub(super) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Plain text as a string literal shaped like `old` (the literal it replaces): a
/// `"""` heredoc stays one, at its indentation; else [`quote`].
pub(crate) fn quote_like(old: &str, text: &str) -> String {
    let fits_triple = !text.contains("\"\"\"") && !text.ends_with('"') && !text.contains('\\');
    if let Some(body) = old
        .strip_prefix("\"\"\"")
        .and_then(|b| b.strip_suffix("\"\"\""))
        && fits_triple
    {
        let heredoc = body
            .split_once('\n')
            .filter(|(opening, _)| opening.trim().is_empty())
            .and_then(|_| body.rsplit_once('\n'))
            .filter(|(_, closing)| closing.chars().all(|c| c == ' ' || c == '\t'));
        return match heredoc {
            Some((_, closing)) => {
                let mut out = String::from("\"\"\"\n");
                for line in text.split('\n') {
                    if !line.is_empty() {
                        out.push_str(closing);
                    }
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str(closing);
                out.push_str("\"\"\"");
                out
            }
            None => format!("\"\"\"{text}\"\"\""),
        };
    }
    quote(text)
}
