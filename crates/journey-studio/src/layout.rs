//! The layout sidecar, `journey.layout.json` at the project root: where a person put
//! each card on the canvas, by journey and card name, sorted. Layout is not meaning:
//! it never goes into a `.journey` file, and cards without a position are laid out by
//! the UI.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::workspace::LAYOUT_FILE;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub x: f64,
    pub y: f64,
}

/// Journey → card → position.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Layout {
    #[serde(default)]
    pub journeys: BTreeMap<String, BTreeMap<String, Position>>,
}

impl Layout {
    /// The sidecar at `path` (checked to be in the project); empty when there is none
    /// or it cannot be read (a broken sidecar costs positions, never the journeys).
    pub(crate) fn read(path: &Path) -> Layout {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub(crate) fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot write the layout: {e}"))?;
        text.push('\n');
        journey_files::replace(path, text.as_bytes())
            .map_err(|e| format!("cannot write `{LAYOUT_FILE}`: {e}"))
    }

    /// Sets (or with `None` removes) the positions of these cards of `journey`.
    pub(crate) fn merge(&mut self, journey: &str, positions: BTreeMap<String, Option<Position>>) {
        let cards = self.journeys.entry(journey.to_owned()).or_default();
        for (card, position) in positions {
            match position {
                Some(position) => cards.insert(card, position),
                None => cards.remove(&card),
            };
        }
        if cards.is_empty() {
            self.journeys.remove(journey);
        }
    }

    /// A card renamed: its position goes with it. `false` when it had none.
    pub(crate) fn rename(&mut self, journey: &str, from: &str, to: &str) -> bool {
        let Some(cards) = self.journeys.get_mut(journey) else {
            return false;
        };
        match cards.remove(from) {
            Some(position) => {
                cards.insert(to.to_owned(), position);
                true
            }
            None => false,
        }
    }

    /// A journey renamed: its cards' positions go with it. `false` when it had none.
    pub(crate) fn rename_journey(&mut self, from: &str, to: &str) -> bool {
        match self.journeys.remove(from) {
            Some(cards) => {
                self.journeys.insert(to.to_owned(), cards);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_merge_sorted_and_follow_a_rename() {
        let mut layout = Layout::default();
        layout.merge(
            "main",
            BTreeMap::from([
                ("Welcome".to_owned(), Some(Position { x: 1.0, y: 2.0 })),
                ("Menu".to_owned(), Some(Position { x: 3.0, y: 4.0 })),
            ]),
        );
        layout.merge("main", BTreeMap::from([("Welcome".to_owned(), None)]));
        assert!(layout.rename("main", "Menu", "MainMenu"));
        assert!(!layout.rename("main", "Welcome", "Hello"));
        assert!(layout.rename_journey("main", "clinic"));
        assert_eq!(
            serde_json::to_string(&layout).unwrap(),
            r#"{"journeys":{"clinic":{"MainMenu":{"x":3.0,"y":4.0}}}}"#
        );
    }
}
