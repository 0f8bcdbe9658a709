//! The UUID map: `uuids.toml` says which journey each Turn journey UUID is, one line per
//! journey: `"f291b782-72d3-49eb-8434-e47e388c2ea1" = "schedule_next_push_message"`.

use std::collections::BTreeMap;

use journey_diagnostics::SourceFile;
use toml::Spanned;

/// Turn journey UUIDs (lower case) and the journey names they become.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UuidMap {
    names: BTreeMap<String, String>,
}

/// A mistake in the map file, with its line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl UuidMap {
    /// Reads the map file's text.
    pub fn parse(text: &str) -> Result<UuidMap, MapError> {
        let source = SourceFile::new("uuids.toml", text);
        let at = |offset: usize, message: String| {
            let position = source.line_col(offset);
            MapError {
                line: position.line,
                column: position.column,
                message,
            }
        };
        let entries: BTreeMap<String, Spanned<String>> = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |span| span.start);
            at(
                offset,
                format!(
                    "{} (each line is `\"<uuid>\" = \"JourneyName\"`)",
                    e.message().trim_end()
                ),
            )
        })?;
        let mut names = BTreeMap::new();
        for (uuid, name) in entries {
            let offset = name.span().start;
            if !looks_like_uuid(&uuid) {
                return Err(at(
                    offset,
                    format!(
                        "`{uuid}` is not a journey UUID (like `f291b782-72d3-49eb-8434-e47e388c2ea1`)"
                    ),
                ));
            }
            if !is_identifier(name.get_ref()) {
                return Err(at(
                    offset,
                    format!(
                        "`{}` is not a journey name: letters, digits and `_`, starting with a letter or `_`",
                        name.get_ref()
                    ),
                ));
            }
            names.insert(uuid.to_ascii_lowercase(), name.into_inner());
        }
        Ok(UuidMap { names })
    }

    /// The journey a UUID stands for, ignoring case.
    pub fn name(&self, uuid: &str) -> Option<&str> {
        self.names
            .get(&uuid.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// `8-4-4-4-12` hexadecimal digits, as Turn writes journey UUIDs.
pub fn looks_like_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A name the grammar reads as one identifier: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_uuids_ignoring_case() {
        let map = UuidMap::parse(
            "# comment\n\"F291B782-72d3-49eb-8434-e47e388c2ea1\" = \"schedule_next\"\n",
        )
        .expect("a valid map");
        assert_eq!(
            map.name("f291b782-72D3-49eb-8434-e47e388c2ea1"),
            Some("schedule_next")
        );
        assert_eq!(map.name("00000000-0000-0000-0000-000000000000"), None);
    }

    #[test]
    fn reports_mistakes_with_their_line() {
        let cases = [
            ("\"not-a-uuid\" = \"x\"\n", 1, "is not a journey UUID"),
            (
                "\n\"f291b782-72d3-49eb-8434-e47e388c2ea1\" = \"two words\"\n",
                2,
                "is not a journey name",
            ),
            (
                "\"f291b782-72d3-49eb-8434-e47e388c2ea1\" = 3\n",
                1,
                "each line is",
            ),
            ("x = \n", 1, "each line is"),
        ];
        for (text, line, message) in cases {
            let error = UuidMap::parse(text).expect_err(text);
            assert_eq!(error.line, line, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }
}
