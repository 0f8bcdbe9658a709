//! Contacts as CSV (issue 16, part 5): reading an import against journey.toml's
//! contact field schema, all rows checked before any is kept, and writing an export
//! that a spreadsheet cannot mistake for formulas.
//!
//! The header is `phone` (or `contact`), then field names, and optionally `labels`
//! (separated by `;`). An empty cell leaves the field as it is. A value an export
//! prefixed with `'` (it began with `=`, `+`, `-`, `@`, a tab or a carriage return)
//! is read back without the `'`, so an export imports again unchanged.

use std::collections::{BTreeMap, HashMap};

use journey_expr::Value;
use journey_project::{FieldSpec, FieldType};
use journey_store::{ContactImport, ContactListing};
use serde::Serialize;

/// The header of the column with the contact's number.
const PHONE: &str = "phone";
/// What `phone` may also be called.
const CONTACT: &str = "contact";
/// The header of the column with labels.
const LABELS: &str = "labels";
/// Labels in one cell are separated by this.
const LABEL_SEPARATOR: char = ';';
/// The built-in field that holds the number: it is the `phone` column.
const WHATSAPP_ID: &str = "whatsapp_id";
/// The field whose `false` is the opt-out.
const OPTED_IN: &str = "opted_in";

/// A cell or row that cannot be imported, in words an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The column's header, when one column is at fault.
    pub column: Option<String>,
    pub why: String,
}

/// Reads a CSV import: every row checked, and either all of them or the report of
/// each bad one (the file's own faults, such as an unknown column, at line 1).
pub fn read_import(
    text: &str,
    fields: &BTreeMap<String, FieldSpec>,
    label_fault: impl Fn(&str) -> Option<String>,
) -> Result<Vec<ContactImport>, Vec<Rejected>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let file_fault = |why: String| {
        vec![Rejected {
            line: 1,
            column: None,
            why,
        }]
    };
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return Err(file_fault(format!("the file is not CSV: {e}"))),
    };
    let columns = columns(&headers, fields).map_err(file_fault)?;
    let mut contacts = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rejected.push(Rejected {
                    line,
                    column: None,
                    why: format!("this row cannot be read: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut reject = |column: &str, why: String| {
            rejected.push(Rejected {
                line,
                column: Some(column.to_owned()),
                why,
            })
        };
        if record.len() != headers.len() {
            rejected.push(Rejected {
                line,
                column: None,
                why: format!(
                    "the row has {} cells and the header {} columns",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let mut contact = ContactImport::default();
        for (column, cell) in columns.iter().zip(record.iter()) {
            let cell = unguarded(cell);
            match column {
                Column::Phone(header) => match phone(cell) {
                    Ok(id) => contact.id = id,
                    Err(why) => reject(header, why),
                },
                Column::Labels => {
                    for label in cell.split(LABEL_SEPARATOR).map(str::trim) {
                        if label.is_empty() {
                            continue;
                        }
                        match label_fault(label) {
                            Some(why) => reject(LABELS, format!("`{label}`: {why}")),
                            None => contact.labels.push(label.to_owned()),
                        }
                    }
                }
                Column::Field(..) if cell.is_empty() => {}
                Column::Field(name, spec) => match field_value(spec, cell) {
                    Ok(value) => {
                        if name == OPTED_IN {
                            contact.opted_out = Some(value == Value::Bool(false));
                        }
                        let json = serde_json::to_string(&value).unwrap_or_default();
                        contact.fields.push((name.clone(), json));
                    }
                    Err(why) => reject(name, why),
                },
            }
        }
        if contact.id.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(contact.id.clone(), line) {
            rejected.push(Rejected {
                line,
                column: Some(PHONE.to_owned()),
                why: format!("{} is on line {first} already", contact.id),
            });
            continue;
        }
        contacts.push(contact);
    }
    if rejected.is_empty() {
        Ok(contacts)
    } else {
        Err(rejected)
    }
}

enum Column {
    /// The header as written (`phone` or `contact`).
    Phone(String),
    Labels,
    Field(String, FieldSpec),
}

/// What each column of the header is; an unknown column refuses the file.
fn columns(
    headers: &csv::StringRecord,
    fields: &BTreeMap<String, FieldSpec>,
) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    let mut phone = false;
    for (n, header) in headers.iter().enumerate() {
        let header = header.trim_start_matches('\u{feff}');
        if headers.iter().skip(n + 1).any(|other| other == header) {
            return Err(format!("the column `{header}` appears twice in the header"));
        }
        let column = match header {
            PHONE | CONTACT => {
                phone = true;
                Column::Phone(header.to_owned())
            }
            LABELS => Column::Labels,
            WHATSAPP_ID => {
                return Err(format!(
                    "`{WHATSAPP_ID}` is the `{PHONE}` column: name the column `{PHONE}`"
                ));
            }
            name => match fields.get(name) {
                Some(spec) => Column::Field(name.to_owned(), spec.clone()),
                None => {
                    let known: Vec<&str> = fields
                        .keys()
                        .map(String::as_str)
                        .filter(|f| *f != WHATSAPP_ID)
                        .collect();
                    return Err(format!(
                        "the column `{header}` is not a contact field of journey.toml; \
                         the columns are `{PHONE}`, `{LABELS}` and the fields: {}",
                        known.join(", ")
                    ));
                }
            },
        };
        columns.push(column);
    }
    if phone {
        Ok(columns)
    } else {
        Err(format!(
            "the header (line 1) has no `{PHONE}` column: the first line names the columns, \
             e.g. `{PHONE},name`"
        ))
    }
}

/// A contact's WhatsApp number: digits in international format (E.164), without the
/// `+` (as WhatsApp gives wa_ids); spaces, dashes and brackets people type are let go.
pub fn phone(text: &str) -> Result<String, String> {
    let digits: String = text
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if text.is_empty() {
        return Err("the phone number is missing".to_owned());
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not a phone number: digits only, in international format \
             (country code first, e.g. 27821234567)"
        ));
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(format!(
            "`{text}` is not an international number: 8 to 15 digits starting with the \
             country code (e.g. 27821234567), not a leading 0"
        ));
    }
    Ok(digits)
}

/// The value a field stores for `text`, as a journey's `update_contact` stores it
/// (numbers and booleans typed, the rest text), or why the schema refuses it.
pub fn field_value(spec: &FieldSpec, text: &str) -> Result<Value, String> {
    let fault = |expected: &str| Err(format!("`{text}` is not {expected}"));
    match spec.kind {
        FieldType::Text => match spec.max_length {
            Some(max) if text.chars().count() > max as usize => Err(format!(
                "{} characters, and the field takes at most {max}",
                text.chars().count()
            )),
            _ => Ok(Value::Text(text.to_owned())),
        },
        FieldType::Number => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Value::Number(n)),
            _ => fault("a number (e.g. 42 or 3.5)"),
        },
        FieldType::Boolean => match Value::Text(text.to_owned()).as_bool() {
            Some(b) => Ok(Value::Bool(b)),
            None => fault("true or false"),
        },
        FieldType::Date => match text.parse::<jiff::civil::Date>() {
            Ok(_) if text.len() == 10 => Ok(Value::Text(text.to_owned())),
            _ => fault("a date written year-month-day (e.g. 2025-01-31)"),
        },
        FieldType::Datetime => match text.parse::<jiff::Timestamp>() {
            Ok(_) => Ok(Value::Text(text.to_owned())),
            _ => fault("a date and time with its offset (e.g. 2025-01-31T09:00:00+02:00)"),
        },
        FieldType::Phone => {
            let digits = text.strip_prefix('+').unwrap_or(text);
            if (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(Value::Text(text.to_owned()))
            } else {
                fault("a phone number in international format (e.g. +27821234567)")
            }
        }
        FieldType::Email => {
            let well_formed = text.len() <= 254
                && !text.chars().any(char::is_whitespace)
                && text.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && host.contains('.') && !host.contains('@')
                });
            if well_formed {
                Ok(Value::Text(text.to_owned()))
            } else {
                fault("an email address (e.g. ann@example.org)")
            }
        }
        FieldType::Choice => {
            if spec.choices.iter().any(|c| c == text) {
                Ok(Value::Text(text.to_owned()))
            } else {
                Err(format!(
                    "`{text}` is not one of the choices: {}",
                    spec.choices.join(", ")
                ))
            }
        }
    }
}

/// The columns of an export: `phone`, every field but the number, `labels`.
pub fn export_header(fields: &BTreeMap<String, FieldSpec>) -> Vec<String> {
    std::iter::once(PHONE.to_owned())
        .chain(fields.keys().filter(|f| *f != WHATSAPP_ID).cloned())
        .chain(std::iter::once(LABELS.to_owned()))
        .collect()
}

/// CSV lines for `header`, one a contact, quoted where CSV needs it and guarded
/// against formula injection.
pub fn export_rows(
    header: &[String],
    contacts: &[ContactListing],
    with_header: bool,
) -> Result<Vec<u8>, String> {
    let records = contacts.iter().map(|contact| {
        let fields = crate::steps::fields(&contact.row.fields);
        header
            .iter()
            .map(|column| match column.as_str() {
                PHONE => contact.row.id.clone(),
                LABELS => contact.labels.join("; "),
                field => fields.get(field).map(Value::to_text).unwrap_or_default(),
            })
            .collect()
    });
    guarded_csv(with_header.then_some(header), records)
}

/// CSV lines: the header (if any), then the records, each cell quoted where CSV needs
/// it and guarded against formula injection (every export of the console writes so).
pub fn guarded_csv(
    header: Option<&[String]>,
    records: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write the CSV: {e}");
    if let Some(header) = header {
        writer.write_record(header).map_err(fail)?;
    }
    for record in records {
        writer
            .write_record(record.into_iter().map(guarded))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| format!("cannot write the CSV: {e}"))
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet shows as text: one that would start a formula gets a `'`.
fn guarded(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text
    }
}

/// A cell as it was before [`guarded`].
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey_store::ContactRow;

    fn schema() -> BTreeMap<String, FieldSpec> {
        let mut fields = BTreeMap::new();
        let spec = |kind| FieldSpec {
            kind,
            ..FieldSpec::default()
        };
        fields.insert("whatsapp_id".to_owned(), spec(FieldType::Phone));
        fields.insert("opted_in".to_owned(), spec(FieldType::Boolean));
        fields.insert(
            "name".to_owned(),
            FieldSpec {
                max_length: Some(10),
                ..spec(FieldType::Text)
            },
        );
        fields.insert("age".to_owned(), spec(FieldType::Number));
        fields.insert(
            "clinic".to_owned(),
            FieldSpec {
                choices: vec!["Soweto".into(), "Alexandra".into()],
                ..spec(FieldType::Choice)
            },
        );
        fields.insert("due date".to_owned(), spec(FieldType::Date));
        fields
    }

    fn no_fault(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_good_file_reads_typed_values_and_skips_empty_cells() {
        let csv = "phone,name,age,opted_in,due date,labels\n\
                   +27 82 000 0001,Ann,34,false,2025-01-31,vip; new\n\
                   27820000002,,,,,\n";
        let contacts = read_import(csv, &schema(), no_fault).unwrap();
        assert_eq!(contacts.len(), 2);
        assert_eq!(contacts[0].id, "27820000001");
        assert_eq!(
            contacts[0].fields,
            [
                ("name".to_owned(), r#"{"Text":"Ann"}"#.to_owned()),
                ("age".to_owned(), r#"{"Number":34.0}"#.to_owned()),
                ("opted_in".to_owned(), r#"{"Bool":false}"#.to_owned()),
                ("due date".to_owned(), r#"{"Text":"2025-01-31"}"#.to_owned()),
            ]
        );
        assert_eq!(contacts[0].opted_out, Some(true));
        assert_eq!(contacts[0].labels, ["vip", "new"]);
        assert!(contacts[1].fields.is_empty() && contacts[1].opted_out.is_none());
    }

    #[test]
    fn every_bad_cell_is_named_with_its_line_and_column() {
        let csv = "phone,name,age,clinic\n\
                   27820000001,Ann,34,Soweto\n\
                   0820000002,Bongani Mthembu,old,Durban\n\
                   27820000001,Ann,1,Soweto\n";
        let rejected = read_import(csv, &schema(), no_fault).unwrap_err();
        let found: Vec<(u64, Option<&str>)> = rejected
            .iter()
            .map(|r| (r.line, r.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (3, Some("phone")),
                (3, Some("name")),
                (3, Some("age")),
                (3, Some("clinic")),
                (4, Some("phone")),
            ]
        );
        assert!(
            rejected[0].why.contains("not a leading 0"),
            "{:?}",
            rejected[0]
        );
        assert_eq!(
            rejected[1].why,
            "15 characters, and the field takes at most 10"
        );
        assert_eq!(
            rejected[3].why,
            "`Durban` is not one of the choices: Soweto, Alexandra"
        );
        assert_eq!(rejected[4].why, "27820000001 is on line 2 already");
    }

    #[test]
    fn the_header_must_name_the_phone_and_known_fields() {
        let unknown = read_import("phone,shoe size\n27820000001,9\n", &schema(), no_fault);
        let why = &unknown.unwrap_err()[0];
        assert_eq!((why.line, why.column.as_deref()), (1, None));
        assert!(
            why.why.contains("`shoe size` is not a contact field"),
            "{}",
            why.why
        );
        let no_phone = read_import("name\nAnn\n", &schema(), no_fault).unwrap_err();
        assert!(no_phone[0].why.contains("no `phone` column"));
        let short = read_import("phone,name\n27820000001\n", &schema(), no_fault).unwrap_err();
        assert_eq!(short[0].line, 2);
        assert!(short[0].why.contains("1 cells"));
    }

    #[test]
    fn an_export_is_quoted_guarded_and_reads_back_the_same() {
        let contact = ContactListing {
            row: ContactRow {
                id: "27820000001".into(),
                fields: r#"{"name":{"Text":"=HYPERLINK(\"x\")"},"age":{"Number":-3.0},
                           "clinic":{"Text":"Soweto"}}"#
                    .into(),
                ..ContactRow::default()
            },
            labels: vec!["vip, gold".into(), "new".into()],
        };
        let header = export_header(&schema());
        assert_eq!(
            header,
            [
                "phone", "age", "clinic", "due date", "name", "opted_in", "labels"
            ]
        );
        let bytes = export_rows(&header, &[contact], true).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "phone,age,clinic,due date,name,opted_in,labels\n\
             27820000001,'-3,Soweto,,\"'=HYPERLINK(\"\"x\"\")\",,\"vip, gold; new\"\n"
        );
        let mut long = schema();
        long.get_mut("name").unwrap().max_length = None;
        let back = read_import(&text, &long, no_fault).unwrap();
        assert_eq!(
            back[0].fields,
            [
                ("age".to_owned(), r#"{"Number":-3.0}"#.to_owned()),
                ("clinic".to_owned(), r#"{"Text":"Soweto"}"#.to_owned()),
                (
                    "name".to_owned(),
                    r#"{"Text":"=HYPERLINK(\"x\")"}"#.to_owned()
                ),
            ]
        );
        assert_eq!(back[0].labels, ["vip, gold", "new"]);
    }
}
