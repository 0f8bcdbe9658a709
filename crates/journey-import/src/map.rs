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

    /// Reads a `stacks_config.yaml` as Turn teams keep it: `stack_uuids:`, a list of
    /// `name:` with the UUIDs of the journey in each workspace (`qa_uuid:`,
    /// `prod_uuid:`, or `uuid:`). Each name becomes a journey name as a notebook's file
    /// name does (`Browsable FAQs` → `browsable_faqs`); values that are not UUIDs
    /// (`todo`) are skipped.
    pub fn parse_stacks_config(text: &str) -> Result<UuidMap, MapError> {
        let source = SourceFile::new("stacks_config.yaml", text);
        let at = |offset: usize, message: String| {
            let position = source.line_col(offset);
            MapError {
                line: position.line,
                column: position.column,
                message,
            }
        };
        let document: serde_norway::Value = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            MapError {
                line,
                column,
                message: e.to_string(),
            }
        })?;
        let key = text.find("stack_uuids").unwrap_or(0);
        let expected =
            "expected `stack_uuids:`, a list of `- name: …` with `qa_uuid:` or `prod_uuid:`";
        let Some(entries) = document.get("stack_uuids").and_then(|v| v.as_sequence()) else {
            return Err(at(key, expected.to_owned()));
        };
        let mut names = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let Some(name) = entry.get("name").and_then(|n| n.as_str()) else {
                return Err(at(
                    key,
                    format!(
                        "entry {} of `stack_uuids` has no `name:`; {expected}",
                        index + 1
                    ),
                ));
            };
            let journey = identifier(name);
            let Some(fields) = entry.as_mapping() else {
                continue;
            };
            for (field, value) in fields {
                let is_uuid_field = field.as_str().is_some_and(|f| f.ends_with("uuid"));
                if let (true, Some(uuid)) = (is_uuid_field, value.as_str())
                    && looks_like_uuid(uuid)
                {
                    names.insert(uuid.to_ascii_lowercase(), journey.clone());
                }
            }
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

/// A journey name made of any text, as the file name of a notebook becomes one:
/// `Browsable FAQs` → `browsable_faqs`, `intro-to-helpcentre` → `intro_to_helpcentre`.
pub fn identifier(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_');
    match name.chars().next() {
        None => "imported".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("journey_{name}"),
        Some(_) => name.to_owned(),
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
    fn reads_the_stacks_config_of_turn_teams() {
        let map = UuidMap::parse_stacks_config(
            "urls:\n  - name: contentrepo\n    qa_url: https://qa.example.org\nstack_uuids:\n- name: Browsable FAQs\n  qa_uuid: 8AB45813-2c9c-4ea6-bed1-10ad091d85e8\n  prod_uuid: todo\n- name: \"intro-human-agent\" # a comment\n  prod_uuid: fc8c5d4e-67a6-4225-ba5b-c96f6873daeb\n",
        )
        .unwrap();
        assert_eq!(
            map.name("8ab45813-2c9c-4ea6-bed1-10ad091d85e8"),
            Some("browsable_faqs")
        );
        assert_eq!(
            map.name("fc8c5d4e-67a6-4225-ba5b-c96f6873daeb"),
            Some("intro_human_agent")
        );
        assert_eq!(map.name("todo"), None);
    }

    #[test]
    fn a_stacks_config_without_its_table_says_where_and_what() {
        let error =
            UuidMap::parse_stacks_config("urls: []\nstack_uuids:\n- qa_uuid: x\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 1));
        assert!(
            error
                .message
                .contains("entry 1 of `stack_uuids` has no `name:`"),
            "{error}"
        );
        let error = UuidMap::parse_stacks_config("a: [\n").unwrap_err();
        assert!(error.line >= 1, "{error}");
        let error = UuidMap::parse_stacks_config("base_url: x\n").unwrap_err();
        assert!(error.message.contains("expected `stack_uuids:`"), "{error}");
    }

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
