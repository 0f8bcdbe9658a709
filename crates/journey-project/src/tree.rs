//! Paths into the parsed TOML tree: finding the value an error points at, cutting it
//! out, and naming its place the way an author reads the file.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step down the tree: a key of a table or an index into an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// Where a value sits, e.g. `templates[1].buttons[0].payload`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Path(pub(crate) Vec<Step>);

impl Path {
    pub(crate) fn key(&self, key: &str) -> Path {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        Path(steps)
    }

    pub(crate) fn index(&self, index: usize) -> Path {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Path(steps)
    }

    pub(crate) fn parent(&self) -> Path {
        Path(self.0[..self.0.len().saturating_sub(1)].to_vec())
    }

    pub(crate) fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

/// The dotted form used as a lookup key: `project.name`, `templates[0].body`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The table at `path` as an author would point at it: `` `[project]` ``,
/// `` `[[templates]]` #2 (`welcome_back`) ``, `` `buttons[0]` of `[[templates]]` #2 ``.
pub(crate) fn describe_table(root: &DeTable<'_>, path: &Path) -> String {
    let first_index = path.0.iter().enumerate().find_map(|(at, step)| match step {
        Step::Index(index) => Some((at, *index)),
        Step::Key(_) => None,
    });
    let Some((first_index, index)) = first_index else {
        return format!("`[{path}]`");
    };
    let array = Path(path.0[..first_index].to_vec());
    let element = Path(path.0[..=first_index].to_vec());
    let mut base = format!("`[[{array}]]` #{}", index + 1);
    if let Some(name) = get(root, &element.key("name")).and_then(|v| v.get_ref().as_str()) {
        base.push_str(&format!(" (`{name}`)"));
    }
    let rest = Path(path.0[first_index + 1..].to_vec());
    if rest.0.is_empty() {
        base
    } else {
        format!("`{rest}` of {base}")
    }
}

/// The value at `path` as an author would point at it: `` `name` in `[project]` ``,
/// `` item 2 of `languages` in `[project]` ``, `` `channel` at the top level ``.
pub(crate) fn describe_value(root: &DeTable<'_>, path: &Path) -> String {
    let parent = path.parent();
    match path.0.last() {
        Some(Step::Key(key)) if parent.0.is_empty() => format!("`{key}` at the top level"),
        Some(Step::Key(key)) => format!("`{key}` in {}", describe_table(root, &parent)),
        Some(Step::Index(index)) => {
            format!("item {} of {}", index + 1, describe_value(root, &parent))
        }
        None => "journey.toml".to_owned(),
    }
}

fn get<'t, 'i>(root: &'t DeTable<'i>, path: &Path) -> Option<&'t Spanned<DeValue<'i>>> {
    let (first, rest) = path.0.split_first()?;
    let Step::Key(key) = first else { return None };
    let mut value = root.get(key.as_str())?;
    for step in rest {
        value = match (step, value.get_ref()) {
            (Step::Key(key), DeValue::Table(table)) => table.get(key.as_str())?,
            (Step::Index(index), DeValue::Array(array)) => array.get(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The deepest value whose span is exactly `span`: what a serde error points at.
pub(crate) fn find(root: &DeTable<'_>, span: &Range<usize>) -> Option<Path> {
    fn in_table(table: &DeTable<'_>, span: &Range<usize>, path: &Path) -> Option<Path> {
        table
            .iter()
            .find_map(|(key, value)| in_value(value, span, &path.key(key.get_ref())))
    }
    fn in_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &Path) -> Option<Path> {
        let deeper = match value.get_ref() {
            DeValue::Table(table) => in_table(table, span, path),
            DeValue::Array(array) => array
                .iter()
                .enumerate()
                .find_map(|(i, item)| in_value(item, span, &path.index(i))),
            _ => None,
        };
        deeper.or_else(|| (value.span() == *span).then(|| path.clone()))
    }
    in_table(root, span, &Path::default())
}

/// Cuts the value at `path` out of the tree; false if there is none.
pub(crate) fn remove(root: &mut DeTable<'_>, path: &Path) -> bool {
    fn in_table(table: &mut DeTable<'_>, steps: &[Step]) -> bool {
        match steps {
            [Step::Key(key)] => table.remove(key.as_str()).is_some(),
            [Step::Key(key), rest @ ..] => table
                .get_mut(key.as_str())
                .is_some_and(|value| in_value(value.get_mut(), rest)),
            _ => false,
        }
    }
    fn in_value(value: &mut DeValue<'_>, steps: &[Step]) -> bool {
        match (value, steps) {
            (DeValue::Table(table), steps) => in_table(table, steps),
            (DeValue::Array(array), [Step::Index(index)]) if *index < array.len() => {
                let items = std::mem::replace(array, toml::de::DeArray::new());
                *array = items
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, item)| (i != *index).then_some(item))
                    .collect();
                true
            }
            (DeValue::Array(array), [Step::Index(index), rest @ ..]) => array
                .get_mut(*index)
                .is_some_and(|item| in_value(item.get_mut(), rest)),
            _ => false,
        }
    }
    in_table(root, &path.0)
}

/// Every value in the tree with its path and the span of its whole entry
/// (`key = value`, or the element of an array).
pub(crate) fn spans(root: &DeTable<'_>) -> Vec<(Path, Range<usize>)> {
    fn in_value(
        path: Path,
        span: Range<usize>,
        value: &DeValue<'_>,
        out: &mut Vec<(Path, Range<usize>)>,
    ) {
        match value {
            DeValue::Table(table) => in_table(&path, table, out),
            DeValue::Array(array) => {
                for (i, item) in array.iter().enumerate() {
                    in_value(path.index(i), item.span(), item.get_ref(), out);
                }
            }
            _ => {}
        }
        out.push((path, span));
    }
    fn in_table(path: &Path, table: &DeTable<'_>, out: &mut Vec<(Path, Range<usize>)>) {
        for (key, value) in table {
            let span = key.span().start.min(value.span().start)..value.span().end;
            in_value(path.key(key.get_ref()), span, value.get_ref(), out);
        }
    }
    let mut out = Vec::new();
    in_table(&Path::default(), root, &mut out);
    out
}
